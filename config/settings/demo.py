"""The demo that ``make run`` serves: base.py's embedded defaults with DEBUG off.

With DEBUG on, a wrong address shows Django's technical 404 listing every URL of the app,
and an error shows a traceback with settings; a demo is shown to people, so it gets the
friendly pages (templates/403.html, 404.html, 500.html) instead. Static files are still
served, by WhiteNoise (already in the middleware) straight from the app's static folders,
so the demo needs no ``collectstatic``. The development keys of base.py stay: this is a
local demo, never a deployment (production.py refuses them).
"""

from .base import *  # noqa: F403

DEBUG = False
# Serve /static/ from the finders (static/ and the apps' folders) as runserver would with
# DEBUG on, and pick up edits without a restart.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
