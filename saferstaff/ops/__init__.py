"""Running saferstaff: taking a backup of a server and restoring one (``backup`` and ``restore``). Sits above
every room and is imported by none: it reads the database, the files and the audit trail as a whole."""
