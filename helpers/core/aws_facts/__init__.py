"""AWS facts both sides use: the stages (helpers) and the emulator (local_aws) import these, one copy each."""
