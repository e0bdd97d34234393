"""The weekly digest email (`newsmon digest`).

    week.py      the ISO week in the digest time zone (Monday 00:00 to Monday 00:00 local)
    select.py    the week's tagged articles, counts per source, last weeks, failing/silent sources (reads storage)
    dedupe.py    near-duplicate grouping (MinHash + LSH, exact Jaccard to confirm)
    chart.py     the weekly chart (matplotlib, PNG)
    render.py    stories, subject, text and HTML (templates/*.j2), the MIME message
    send.py      SMTP: ssl, starttls or none; the only module that talks to the network
    record.py    digests_sent and digest_outbox: sent once, a failed send kept for the retry
    service.py   run_digest(): what the CLI and the daemon call
    sample.py    a sample week, for demos and the README screenshot
"""
