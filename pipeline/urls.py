"""One spelling per article: the URL normal form used for dedupe and storage."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only say where a reader came from; dropping them never changes the page.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "yclid", "msclkid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "spm", "share", "from", "rss", "ref",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonicalize(url: str) -> str:
    """Normal form: lower-case scheme and host, no default port, no fragment, no tracking parameters,
    and no PHP front controller (`/index.php/news/x` is `/news/x` on the sites we read)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = parts.path or "/"
    path = path.replace("/index.php/", "/", 1)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in TRACKING_PARAMS and not k.lower().startswith("utm_")])
    return urlunsplit((scheme, netloc, path, query, ""))


def absolute(base: str, href: str) -> str:
    return urljoin(base, href.strip())


def host_of(url: str) -> str:
    """Host name only: politeness and allowed hosts count by name, ports ignored."""
    return (urlsplit(url).hostname or "").lower()


def listing_page(template: str, page: int) -> str:
    """Page `page` of a listing template such as `https://news.az/news?page={page}`."""
    return template.replace("{page}", str(page))
