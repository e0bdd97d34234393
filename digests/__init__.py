"""The weekly digest email (`newsmon digest`).

    week.py      the ISO week in the digest time zone (Monday 00:00 to Monday 00:00 local)
    select.py    the week's tagged articles, counts per source, last weeks, failing/silent sources (reads storage)
    coverage.py  per source: articles a day by route, coverage gaps, low-volume days (status uses it too)
    dedupe.py    near-duplicate grouping (MinHash + LSH, exact Jaccard to confirm)
    chart.py     the weekly chart (matplotlib, PNG), drawn to be read on a phone
    render.py    stories, subject, text and HTML (templates/*.j2), the MIME message
    mail.py      SMTP: ssl, starttls or none; the only module that talks to the network
    settings.py  [digest] and [smtp], typed

newsmon.commands.digest runs it (the CLI and the daemon call that); newsmon.demo.sample_week is a sample week
for demos and the README screenshot.
"""
