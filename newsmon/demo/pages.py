"""The pages of the three demo sites as text: article pages, feeds, sitemaps, the News.Az listing and the
Trend archive.

Each function takes what its page shows (articles as `ServedArticle`, newest first, as the server keeps
them; the server's base URL where a page has absolute links) and returns the page as text. None keeps
state, so the server alone decides what to cache and what a page's ETag is. The markup imitates each real
site's, chrome included: tickers, menus, related lists and footers are what an extractor has to see past.
"""

from __future__ import annotations

import email.utils
import html
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias
from xml.sax.saxutils import escape as _xml_escape

from newsmon.demo.articles import BAKU, PAYWALL_TEXT, ServedArticle, boilerplate_headlines

__all__ = [
    "LISTING_PAGE_SIZE",
    "RELATED_COUNT",
    "article_page",
    "azernews_feed",
    "azernews_sitemap",
    "azernews_sitemap_index",
    "baku_month",
    "index_page",
    "newsaz_listing",
    "newsaz_rss_page",
    "trend_archive",
    "trend_feed",
]

LISTING_PAGE_SIZE = 10
RELATED_COUNT = {"trend": 6, "azernews": 15, "newsaz": 6}  # links in an article page's related list

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")

# --------------------------------------------------------------------------------------------- dates


def _rfc822(dt: datetime) -> str:
    return email.utils.format_datetime(dt)  # "Tue, 17 Nov 2026 12:27:00 +0400"


def _day_text(dt: datetime) -> str:
    return f"{dt.day} {_MONTHS[dt.month - 1]} {dt.year}"


def _offset_text(dt: datetime) -> str:
    minutes = int((dt.utcoffset() or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def baku_month(dt: datetime) -> tuple[int, int]:
    """(year, month) in Baku time: AzerNews splits its sitemap by its own months, not UTC ones."""
    local = dt.astimezone(BAKU)
    return local.year, local.month


# --------------------------------------------------------------------------------------------- article pages

_Links: TypeAlias = Sequence[tuple[str, str]]  # (title, href) of a related list

_e = html.escape


def _paragraphs_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{_e(p)}</p>" for p in paragraphs)


def _body_paragraphs(record: dict[str, Any]) -> list[str]:
    return list(record["paragraphs"]) + list(record.get("padding_paragraphs") or ())


def _related_items(related: _Links, *, with_date: str = "") -> str:
    return "\n".join(
        f'<li><a href="{_e(href)}">{_e(title)}</a>{with_date}</li>' for title, href in related
    )


def _trend_article(record: dict[str, Any], dt: datetime, url: str, base: str, related: _Links) -> str:
    title, summary, author = record["title"], record["summary"], record["author"]
    section = record["section"]
    section_label = section.split("/")[-1].capitalize()
    paywalled = bool(record.get("paywalled"))
    if paywalled:
        body = (
            _paragraphs_html(record["paragraphs"][:1])
            + f'\n<div class="paywall-notice"><p>{_e(PAYWALL_TEXT)}</p>'
            + '<a class="btn-subscribe" href="/trend/subscribe">Subscribe</a></div>'
        )
    else:
        body = _paragraphs_html(_body_paragraphs(record))
    ticker = _related_items([(h, "/trend/latest") for h in boilerplate_headlines("trend")[:5]])
    most_read = _related_items([(h, "/trend/latest") for h in boilerplate_headlines("trend")[5:]])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} - Trend.Az</title>
<meta name="description" content="{_e(summary)}">
<meta name="author" content="{_e(author)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="Trend.Az">
<meta property="og:title" content="{_e(title)}">
<meta property="og:description" content="{_e(summary)}">
<meta property="og:url" content="{_e(url)}">
<meta property="og:image" content="{base}/trend/media/{record.get('id', 0)}.jpg">
<meta property="article:published_time" content="{dt.isoformat()}">
<meta property="article:section" content="{_e(section_label)}">
<link rel="canonical" href="{_e(url)}">
<link rel="alternate" type="application/rss+xml" title="Trend News Agency" href="{base}/trend/feeds/index.rss">
<link rel="stylesheet" href="/trend/static/css/main.min.css">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"pageType": "article",
"articleId": {int(record.get('id', 0))}, "section": "{_e(section)}"}});</script>
</head>
<body class="page-article">
<header class="site-header">
  <div class="top-line">
    <ul class="lang-switch"><li><a href="/trend/az">AZ</a></li><li><a href="/trend/ru">RU</a></li>
      <li class="active"><a href="/trend/">EN</a></li></ul>
    <div class="currency-rates">USD 1.7000 &middot; EUR 1.9743 &middot; RUB 0.0213 &middot; Brent 71.40</div>
    <div class="weather-now">Baku +12&deg;C</div>
  </div>
  <a class="logo" href="/trend/"><img src="/trend/static/img/logo.svg" alt="Trend News Agency"></a>
  <nav class="main-menu"><ul>
    <li><a href="/trend/azerbaijan/">Azerbaijan</a></li><li><a href="/trend/business/">Business</a></li>
    <li><a href="/trend/business/energy/">Oil&amp;Gas</a></li><li><a href="/trend/business/economy/">Economy</a></li>
    <li><a href="/trend/world/">World</a></li><li><a href="/trend/casia/">Central Asia</a></li>
    <li><a href="/trend/iran/">Iran</a></li><li><a href="/trend/other/">Other News</a></li>
    <li><a href="/trend/analytics/">Analytics</a></li></ul></nav>
  <div class="breaking-ticker"><span class="ticker-label">Latest news</span><ul>
{ticker}
  </ul></div>
</header>
<div class="container">
  <div class="breadcrumbs"><a href="/trend/">Home</a> / <a href="/trend/{section.split('/')[0]}/">
    {_e(section.split('/')[0].capitalize())}</a> / <span>{_e(section_label)}</span></div>
  <div class="article-page">
    <h1 class="article-title">{_e(title)}</h1>
    <div class="article-meta"><span class="date">{_day_text(dt)} {dt:%H:%M}</span>
      <span class="category">{_e(section_label)}</span> <span class="author-name">{_e(author)}</span></div>
    <div class="top-img"><img src="/trend/media/{record.get('id', 0)}.jpg" alt="{_e(title)}">
      <span class="img-caption">Photo: Trend</span></div>
    <div class="article-content">
{body}
    </div>
    <div class="whatsapp-channel"><a href="/trend/whatsapp">Stay up-to-date with more news at Trend News
      Agency's WhatsApp channel</a></div>
    <div class="share-buttons"><a href="#">Facebook</a> <a href="#">X</a> <a href="#">Telegram</a>
      <a href="#">WhatsApp</a></div>
  </div>
  <section class="related-news"><h3>Related news</h3><ul>
{_related_items(related)}
  </ul></section>
  <aside class="sidebar"><div class="most-read"><h3>Most read</h3><ul>
{most_read}
  </ul></div></aside>
</div>
<footer class="site-footer">
  <div class="footer-menu"><a href="/trend/about">About us</a> <a href="/trend/contacts">Contacts</a>
    <a href="/trend/advertising">Advertising</a> <a href="/trend/subscribe">Subscription</a>
    <a href="/trend/feeds/index.rss">RSS</a></div>
  <p class="copyright">&copy; 2003-2026 Trend News Agency. All rights reserved. Reprinting of materials is
    allowed only with a hyperlink to Trend. Address: 1 Sharifzadeh street, Baku, Azerbaijan.</p>
</footer>
<script src="/trend/static/js/app.min.js"></script>
</body>
</html>
"""


def _azernews_article(record: dict[str, Any], dt: datetime, url: str, base: str, related: _Links) -> str:
    title, summary, author = record["title"], record["summary"], record["author"]
    section = record["section"]
    latest = _related_items([(h, "/azernews/latest") for h in boilerplate_headlines("azernews")[:5]])
    viewed = _related_items([(h, "/azernews/latest") for h in boilerplate_headlines("azernews")[5:]])
    menu = "".join(
        f'<li><a href="/azernews/{s}/">{s.capitalize()}</a></li>'
        for s in ("nation", "business", "analysis", "region", "culture", "sport", "travel", "world")
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_e(title)} | AzerNews</title>
<meta name="description" content="{_e(summary)}">
<meta property="og:title" content="{_e(title)}">
<meta property="og:url" content="{_e(url)}">
<meta property="og:type" content="article">
<meta property="og:image" content="{base}/azernews/uploads/{record.get('id', 0)}.jpg">
<link rel="canonical" href="{_e(url)}">
<link rel="alternate" type="application/rss+xml" title="AzerNews" href="{base}/azernews/feed.php">
<script async src="/azernews/js/analytics.js"></script>
<style>.news-item h1{{font-size:28px}} .article-date{{color:#888}}</style>
</head>
<body>
<div class="top-banner"><a href="/azernews/subscribe">Subscribe to AzerNews: full digital access for
  9.99 AZN a month</a></div>
<header id="header">
  <div class="header-info">Baku: +11&deg;C &middot; USD/AZN 1.7000 &middot; EUR/AZN 1.9743 &middot;
    {_day_text(dt)}</div>
  <a class="logo" href="/azernews/"><img src="/azernews/img/logo.png" alt="AzerNews"></a>
  <ul class="menu">{menu}</ul>
  <form class="search-form" action="/azernews/search"><input name="q" placeholder="Search"></form>
</header>
<div class="wrapper">
  <div class="col-main">
    <article class="news-item">
      <div class="news-category"><a href="/azernews/{_e(section)}/">{_e(section.capitalize())}</a></div>
      <h1>{_e(title)}</h1>
      <div class="article-date">{_day_text(dt)} {dt:%H:%M} ({_offset_text(dt)})</div>
      <div class="news-img"><img src="/azernews/uploads/{record.get('id', 0)}.jpg" alt=""></div>
      <div class="article-body">
{_paragraphs_html(_body_paragraphs(record))}
      </div>
      <div class="article-author-line">By {_e(author)}</div>
      <div class="support-us">Here we are to serve you with news right now. It does not cost much, but worth
        your attention. Choose to support open, independent, quality journalism and subscribe on a monthly
        basis.</div>
      <div class="social-follow">Follow us on Twitter @AzerNewsAz</div>
      <div class="related-news"><h4>Related News</h4><ul>
{_related_items(related, with_date=" <span>" + _day_text(dt) + "</span>")}
      </ul></div>
    </article>
  </div>
  <div class="sidebar">
    <div class="block-latest"><h4>Latest</h4><ul>
{latest}
    </ul></div>
    <div class="block-most-viewed"><h4>Most viewed</h4><ul>
{viewed}
    </ul></div>
  </div>
</div>
<footer class="footer">
  <ul class="footer-menu">{menu}</ul>
  <p>AzerNews is the leading English-language newspaper in Azerbaijan, published since 1997.
    &copy; 1997-2026 AzerNews. Use of materials is allowed only with a hyperlink to azernews.az.</p>
  <p>Contact: 28 May street, Baku. Email: info@azernews.az</p>
</footer>
</body>
</html>
"""


def _newsaz_article(record: dict[str, Any], dt: datetime, url: str, base: str, related: _Links) -> str:
    title, summary, author = record["title"], record["summary"], record["author"]
    section = record["section"]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": title,
        "description": summary,
        "datePublished": dt.isoformat(),
        "dateModified": dt.isoformat(),
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": "News.Az",
                      "logo": {"@type": "ImageObject", "url": f"{base}/newsaz/img/logo.png"}},
        "image": [f"{base}/newsaz/uploads/{record['slug']}.jpg"],
        "articleSection": section,
        "inLanguage": "en",
    }
    ld_json = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
    trending = _related_items([(h, "/newsaz/news") for h in boilerplate_headlines("newsaz")])
    menu = "".join(
        f'<li><a href="/newsaz/category/{s}">{s.capitalize()}</a></li>'
        for s in ("politics", "economy", "society", "sports", "world", "analytics", "interview")
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_e(title)} | News.Az</title>
<meta name="description" content="{_e(summary)}">
<meta property="og:title" content="{_e(title)}">
<meta property="og:url" content="{_e(url)}">
<meta property="og:site_name" content="News.Az">
<link rel="canonical" href="{_e(url)}">
<script type="application/ld+json">{ld_json}</script>
<script>var newsAzConfig = {{"lang": "en", "adsEnabled": true}};</script>
</head>
<body>
<div class="cookie-consent">We use cookies to improve your experience. <button>Accept</button></div>
<header class="header">
  <a class="logo" href="/newsaz/">News.Az</a>
  <nav class="navbar"><ul>{menu}</ul></nav>
  <div class="header-date">{_day_text(dt)}</div>
</header>
<div class="main-wrap">
  <div class="content-area">
    <div class="article-head">
      <a class="article-category" href="/newsaz/category/{_e(section)}">{_e(section.capitalize())}</a>
      <h1>{_e(title)}</h1>
      <div class="article-info"><span class="date-time">{dt.day} {_MONTHS[dt.month - 1][:3]} {dt.year}
        {dt:%H:%M}</span> <span class="font-size-tools">+ &#8634; &minus; 16 px</span></div>
    </div>
    <div class="article-image"><img src="/newsaz/uploads/{record['slug']}.jpg" alt="{_e(title)}"></div>
    <div class="article-text">
{_paragraphs_html(_body_paragraphs(record))}
    </div>
    <div class="source-sign">News.Az</div>
    <div class="share-block">Share: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Telegram</a></div>
    <div class="read-more-related"><h3>Read also</h3><ul>
{_related_items(related)}
    </ul></div>
  </div>
  <aside class="sidebar"><h3>Trending</h3><ul>
{trending}
  </ul></aside>
</div>
<footer class="site-footer">
  <p>News.Az &mdash; news from Azerbaijan and the world. &copy; 2008-2026 News.Az. All rights reserved.</p>
  <ul><li><a href="/newsaz/about">About</a></li><li><a href="/newsaz/contacts">Contacts</a></li>
    <li><a href="/newsaz/rss">RSS</a></li></ul>
</footer>
</body>
</html>
"""


_ARTICLE_PAGES: dict[str, Callable[[dict[str, Any], datetime, str, str, _Links], str]] = {
    "trend": _trend_article, "azernews": _azernews_article, "newsaz": _newsaz_article,
}


def article_page(record: dict[str, Any], dt: datetime, url: str, base: str, related: _Links) -> str:
    """The page of a normalized record at ``url``, published at ``dt`` (its own UTC offset, as the sites print
    local times), with ``related`` (title, path) links; ``base`` makes the absolute URLs of feeds and images."""
    return _ARTICLE_PAGES[record["site"]](record, dt, url, base, related)


def _newsaz_chrome(title: str, inner: str) -> str:
    menu = "".join(
        f'<li><a href="/newsaz/category/{s}">{s.capitalize()}</a></li>'
        for s in ("politics", "economy", "society", "sports", "world", "analytics", "interview")
    )
    trending = _related_items([(h, "/newsaz/news") for h in boilerplate_headlines("newsaz")])
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{_e(title)}</title></head>
<body>
<header class="header"><a class="logo" href="/newsaz/">News.Az</a>
  <nav class="navbar"><ul>{menu}</ul></nav></header>
<div class="main-wrap">
{inner}
  <aside class="sidebar"><h3>Trending</h3><ul>
{trending}
  </ul></aside>
</div>
<footer class="site-footer"><p>&copy; 2008-2026 News.Az. All rights reserved.</p>
  <ul><li><a href="/newsaz/about">About</a></li><li><a href="/newsaz/rss">RSS</a></li></ul></footer>
</body>
</html>
"""




# --------------------------------------------------------------------------------------------- feeds and sitemaps


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def trend_feed(articles: Sequence[ServedArticle], base: str, modified: datetime) -> str:
    """Trend's RSS feed: the link doubles as guid and the description is the plain summary; ``modified``
    (the site's last change) is the feed's lastBuildDate."""
    items = []
    for e in articles:
        link = _xml_escape(base + e.path)
        items.append(
            f"<item>\n<title>{_xml_escape(e.record['title'])}</title>\n<link>{link}</link>\n"
            f"<description>{_xml_escape(e.record['summary'])}</description>\n"
            f"<pubDate>{_rfc822(e.dt)}</pubDate>\n<guid isPermaLink=\"true\">{link}</guid>\n</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        "<title>Trend News Agency - All news</title>\n"
        f"<link>{base}/trend/</link>\n<description>Latest news from Azerbaijan, Central Asia and the "
        "Caucasus</description>\n<language>en</language>\n"
        f"<lastBuildDate>{_rfc822(modified.astimezone(BAKU))}</lastBuildDate>\n"
        f'<atom:link href="{base}/trend/feeds/index.rss" rel="self" type="application/rss+xml"/>\n'
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def azernews_feed(articles: Sequence[ServedArticle], base: str, modified: datetime) -> str:
    """AzerNews's RSS feed, with what sets it apart from Trend's: CDATA everywhere, HTML in the description,
    a guid that is not a link; ``modified`` (the site's last change) is the channel's pubDate."""
    items = []
    for e in articles:
        r = e.record
        summary = _cdata(f"<p>{_e(r['summary'], quote=False)}</p>")
        items.append(
            f"  <item>\n    <title>{_cdata(r['title'])}</title>\n    <link>{base}{e.path}</link>\n"
            f"    <description>{summary}</description>\n"
            f"    <category>{_xml_escape(r['section'].capitalize())}</category>\n"
            f"    <dc:creator>{_cdata(r['author'])}</dc:creator>\n"
            f"    <pubDate>{_rfc822(e.dt)}</pubDate>\n"
            f'    <guid isPermaLink="false">azernews-{r["id"]}</guid>\n'
            f'    <enclosure url="{base}/azernews/uploads/{r["id"]}.jpg" type="image/jpeg" length="0"/>\n'
            "  </item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"  <title>AzerNews</title>\n  <link>{base}/azernews/</link>\n"
        "  <description>AzerNews - Azerbaijan's leading English-language news</description>\n"
        "  <language>en-us</language>\n"
        f"  <pubDate>{_rfc822(modified.astimezone(BAKU))}</pubDate>\n"
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def azernews_sitemap_index(articles: Sequence[ServedArticle], base: str) -> str:
    """AzerNews's sitemap index: one gzipped child per Baku month that has articles, newest first, each with
    the time of its newest article as lastmod, which is what a backfill compares to skip old months."""
    newest: dict[tuple[int, int], datetime] = {}
    for e in articles:
        newest.setdefault(baku_month(e.dt), e.dt)
    children = "\n".join(
        f"<sitemap><loc>{base}/azernews/sitemap-{y:04d}-{m:02d}.xml.gz</loc>"
        f"<lastmod>{dt.isoformat()}</lastmod></sitemap>" for (y, m), dt in newest.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + children + "\n</sitemapindex>\n")


def azernews_sitemap(articles: Sequence[ServedArticle], base: str) -> str:
    """A Google News urlset: the same for the whole site and for one month's child of the index."""
    urls = "\n".join(
        f"<url><loc>{base}{e.path}</loc><lastmod>{e.dt.isoformat()}</lastmod>"
        f"<news:news><news:publication><news:name>AzerNews</news:name><news:language>en</news:language>"
        f"</news:publication><news:publication_date>{e.dt.isoformat()}</news:publication_date>"
        f"<news:title>{_xml_escape(e.record['title'])}</news:title></news:news></url>"
        for e in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + urls + "\n</urlset>\n"
    )


# --------------------------------------------------------------------------------------------- HTML indexes


def newsaz_listing(articles: Sequence[ServedArticle], page: int, page_size: int = LISTING_PAGE_SIZE) -> str | None:
    """Page ``page`` (from 1) of News.Az's listing, the only way to find its articles as it has no feed; None
    past the last page, which the server answers with 404 as the real site does. An empty site still has a
    page 1."""
    pages = max(1, -(-len(articles) // page_size))
    if page < 1 or page > pages:
        return None
    chunk = articles[(page - 1) * page_size : page * page_size]
    items = []
    for e in chunk:
        r = e.record
        items.append(
            f'<div class="news-item"><a class="news-thumb" href="{e.path}"><img '
            f'src="/newsaz/uploads/{r["slug"]}.jpg" alt=""></a>\n'
            f'  <div class="news-item-body"><a class="news-title" href="{e.path}">{_e(r["title"])}</a>\n'
            f'  <span class="news-date">{e.dt.day} {_MONTHS[e.dt.month - 1][:3]} {e.dt.year}, '
            f"{e.dt:%H:%M}</span>\n  <p>{_e(r['summary'])}</p></div></div>"
        )
    if not items:
        items.append('<p class="empty">No news yet.</p>')
    nav = []
    if page > 1:
        nav.append(f'<li><a href="/newsaz/news?page={page - 1}">&laquo; Previous</a></li>')
    for p in range(max(1, page - 2), min(pages, page + 2) + 1):
        cls = ' class="active"' if p == page else ""
        nav.append(f'<li{cls}><a href="/newsaz/news?page={p}">{p}</a></li>')
    if page < pages:
        nav.append(f'<li><a href="/newsaz/news?page={page + 1}">Next &raquo;</a></li>')
    inner = (
        '<div class="content-area"><h1>All news</h1>\n<div class="news-list">\n'
        + "\n".join(items)
        + '\n</div>\n<ul class="pagination">' + "".join(nav) + "</ul></div>"
    )
    return _newsaz_chrome(f"News - page {page} | News.Az", inner)


def newsaz_rss_page() -> str:
    """What News.Az shows at /rss: an HTML page with status 200, not a feed, so that feed discovery has to
    notice that the content is not RSS."""
    inner = ('<div class="content-area"><h1>RSS</h1><p>Follow News.Az on social networks and in our '
             'mobile application to get the latest news.</p><p><a href="/newsaz/news">All news</a></p>'
             "</div>")
    return _newsaz_chrome("RSS | News.Az", inner)


def trend_archive(articles: Sequence[ServedArticle], day: date) -> str:
    """Trend's archive page for one Baku day, which a backfill walks day by day; a day without news still
    has a page, with links to the days around it."""
    rows = []
    for e in articles:
        local = e.dt.astimezone(BAKU)
        if local.date() == day:
            rows.append(
                f'<li><span class="time">{local:%H:%M}</span> <a href="{e.path}">{_e(e.record["title"])}'
                "</a></li>"
            )
    body = "\n".join(rows) or '<li class="empty">No news for this day.</li>'
    prev_day, next_day = day - timedelta(days=1), day + timedelta(days=1)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>News archive {day.isoformat()} - Trend.Az</title></head>
<body>
<nav class="main-menu"><ul><li><a href="/trend/azerbaijan/">Azerbaijan</a></li>
  <li><a href="/trend/business/">Business</a></li><li><a href="/trend/world/">World</a></li></ul></nav>
<div class="container"><h1>News archive: {_day_text(datetime(day.year, day.month, day.day))}</h1>
<ul class="archive-list">
{body}
</ul>
<div class="archive-nav"><a href="/trend/archive/{prev_day.isoformat()}">Previous day</a>
  <a href="/trend/archive/{next_day.isoformat()}">Next day</a></div></div>
</body>
</html>
"""


def index_page() -> str:
    """The server's own front page, so that someone who opens the base URL in a browser finds the feeds."""
    links = "".join(f'<li><a href="{u}">{u}</a></li>' for u in (
        "/trend/feeds/index.rss", "/azernews/feed.php", "/newsaz/news?page=1"))
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sample "
            f"sites</title></head><body><ul>{links}</ul></body></html>")
