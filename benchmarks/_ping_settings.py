"""The product's settings with the benchmark's URL conf (``_ping_urls``): used only by benchmarks/pages.py."""

from saferstaff import settings as product

globals().update({name: value for name, value in vars(product).items() if name.isupper()})
ROOT_URLCONF = "_ping_urls"
