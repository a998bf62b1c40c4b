"""What reading someone's zip file can raise. Every zip saferstaff opens (roster exports, Word documents,
albums of photos) catches exactly these and turns them into a message naming the file: a damaged archive
(BadZipFile, zlib.error, EOFError), one too big for the format (LargeZipFile), an encrypted member
(RuntimeError), a compression method Python does not know (NotImplementedError), or a damaged header that
trips the parser (OSError, ValueError)."""

import zipfile
import zlib

ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    RuntimeError,
    NotImplementedError,
    OSError,
    ValueError,
)
