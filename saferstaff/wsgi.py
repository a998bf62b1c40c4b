import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferstaff.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the rooms, their models and addresses) lives as long as the process: moved out
# of the garbage collector's sight, a full collection no longer walks its ~150,000 objects every few requests
# (about 1-2 ms of a list page's CPU, docs/serving.md). Reference cycles made while serving are still collected.
gc.collect()
gc.freeze()
