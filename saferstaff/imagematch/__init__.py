"""Image matching (§5): has a published photo really come down? A small library with no Django inside:

- ``fingerprint(image)`` → a ``Fingerprint`` (a pHash and a dHash of the photo, its mirror, its caption-less
  crop and 13 crops of it; 226-258 bytes stored); ``same_photo(published, found)`` is the match rule, ``distance`` its distances;
- ``HashIndex`` finds, among a school's published copies, those a found image matches (multi-index hashing);
  ``LinearScan`` does the same by comparing with every copy;
- ``images_in_html(html, base_url)`` → the image addresses a page shows; ``images_in_pdf(data)`` → the images
  a PDF holds; ``open_image(data)`` opens fetched image bytes, bounded.

Every refusal (too big, too many, unreadable) is an ``ImageRefused`` whose message is for staff.
See docs/imagematch-notes.md for what is matched and the measured margins."""

from saferstaff.imagematch.decode import ImageRefused, TooManyImages, open_image  # noqa: F401
from saferstaff.imagematch.hashes import Fingerprint, distance, fingerprint, same_photo  # noqa: F401
from saferstaff.imagematch.pdf import images_in_pdf  # noqa: F401
from saferstaff.imagematch.webpage import images_in_html  # noqa: F401
