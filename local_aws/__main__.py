"""`python -m local_aws status|stop`: the stack under KIT_HOME, from a shell."""
import sys

from local_aws.stack.control import main

sys.exit(main(sys.argv[1:]))
