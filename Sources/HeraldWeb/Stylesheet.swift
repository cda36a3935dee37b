public import HeraldServer
import Foundation

/// The one stylesheet, served by Herald at `path` (no CDN, no build step). Readable on a
/// 360 px screen: one column, 16 px text, buttons at least 44 px high (WCAG 2.5.5),
/// contrast above 4.5:1, and a visible focus ring for keyboard users.
public enum Stylesheet {
    public static let path = "/assets/herald.css"

    static let text = """
    *{box-sizing:border-box}
    body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f6f7f9}
    main{max-width:72rem;margin:0 auto;padding:1rem}
    h1{font-size:1.4rem;margin:.5rem 0 1rem}
    h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
    nav{background:#1d3557;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
    nav a,nav button.link{color:#fff;text-decoration:none;padding:.5rem 0;background:none;border:0;font:inherit;cursor:pointer}
    nav a[aria-current=page]{text-decoration:underline;text-underline-offset:.3em}
    nav form{margin:0 0 0 auto}
    dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;background:#fff;padding:1rem;border:1px solid #d0d7de;border-radius:6px}
    dl.facts dt{font-weight:600;color:#424a53}
    dl.facts dd{margin:0;overflow-wrap:anywhere}
    @media (max-width:30rem){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}}
    .actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}
    .actions form{margin:0}
    button,input[type=submit]{min-height:44px;padding:.5rem 1.25rem;font:inherit;font-weight:600;border-radius:6px;border:1px solid #1d3557;background:#1d3557;color:#fff;cursor:pointer}
    button.secondary{background:#fff;color:#1d3557}
    button.danger{background:#a4161a;border-color:#a4161a}
    a{color:#0a4fa6}
    :focus-visible{outline:3px solid #e36209;outline-offset:2px}
    label{display:block;font-weight:600;margin:.75rem 0 .25rem}
    input[type=text],input[type=password],select{width:100%;max-width:28rem;min-height:44px;padding:.5rem;font:inherit;border:1px solid #57606a;border-radius:6px;background:#fff;color:#1b1f24}
    .notice{padding:.75rem 1rem;border-radius:6px;border:1px solid;margin:1rem 0}
    .notice.ok{background:#dafbe1;border-color:#1a7f37;color:#0f5323}
    .notice.warn{background:#fff8c5;border-color:#9a6700;color:#4d2d00}
    .notice.error{background:#ffebe9;border-color:#cf222e;color:#82071e}
    .state{display:inline-block;padding:0 .5rem;border-radius:1rem;font-weight:600;font-size:.9rem}
    .state.open{background:#ffebe9;color:#82071e}
    .state.acknowledged{background:#fff8c5;color:#4d2d00}
    .state.resolved{background:#dafbe1;color:#0f5323}
    table{border-collapse:collapse;width:100%;background:#fff;font-size:.95rem}
    th,td{text-align:left;padding:.5rem;border-bottom:1px solid #d0d7de;vertical-align:top;overflow-wrap:break-word}
    td .actions{margin:0;gap:.4rem}
    td button{padding:.5rem .75rem;white-space:nowrap}
    .state{white-space:nowrap}
    .scroll{overflow-x:auto}
    form.inline{display:inline}
    form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:1rem}
    form.filters label{margin:0}
    .muted{color:#57606a}
    .panel{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:0 1rem 1rem;margin:1rem 0}
    .state.silence-active{background:#fff8c5;color:#4d2d00}
    .state.silence-pending{background:#ddf4ff;color:#0a3069}
    .state.silence-expired{background:#eaeef2;color:#424a53}
    .kind-action{font-weight:600;color:#6e3000}
    ul.matches li{margin:.5rem 0}
    """

    /// `GET /assets/herald.css`, cacheable for an hour (it changes only with Herald).
    public static func response() -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/css; charset=utf-8"), ("Cache-Control", "public, max-age=3600")]
                     + WebHeaders.security.filter { $0.0 != "Cache-Control" }, body: Data(text.utf8))
    }
}
