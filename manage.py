#!/usr/bin/env python
from saferstaff.cli import main

if __name__ == "__main__":
    main()
