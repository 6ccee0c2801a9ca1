"""IAM on the local stack: the policies of IAM users (a workshop's attendees) enforced on their calls."""
