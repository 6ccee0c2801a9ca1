"""The local stack as processes: start, find, stop (control), the processes under one KIT_HOME, ports."""
