"""lambda-torch-kit helpers: the notebooks teach and show, these modules do the work."""
