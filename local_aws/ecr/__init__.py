"""Amazon ECR: the local image store, manifest rules, lifecycle rules and their clock."""
