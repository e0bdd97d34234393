"""The workbench: `newsmon serve`, a server-rendered web app over the same database as the pipeline.

Analysts search the archive, see why an article matched, judge whether it was relevant, browse any week's
digest and follow a topic in a feed reader. Pages are Jinja2 with autoescaping and one local stylesheet: no
script, font or style is loaded from another host, and every answer carries `Content-Security-Policy:
default-src 'self'`. The app only reads, except for judgements (a POST with a CSRF token).

    app.py        the routes, one function per page
    security.py   who may ask (loopback, HTTP Basic with argon2 hashes, a bearer token), CSRF, headers
    marks.py      text with matches marked, as escaped HTML
"""
