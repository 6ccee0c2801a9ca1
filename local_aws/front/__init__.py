"""The stack process: moto behind a front WSGI app that answers what moto lacks or gets wrong."""
