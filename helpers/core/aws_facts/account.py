"""The local target's account: moto's default account id and the dummy credentials its clients sign with.

The one copy of the account id outside tests (the emulator, helpers.aws and the SAM template drift check use it).
"""
ACCOUNT_ID = "123456789012"  # moto's default account (moto.core.DEFAULT_ACCOUNT_ID)
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # moto accepts any
