//! Browser tests: headless Debian Chromium, driven through chromedriver with
//! fantoccini, against the real server on 127.0.0.1 (SQLite).
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver`
//! (`apt-get install chromium chromium-driver`); without them the test fails
//! saying so, unless `DUIJIE_SKIP_BROWSER_TESTS=1` is set. Every page visited
//! is saved as a PNG under `target/browser-screenshots/`.

use crate::helpers::{Backend, TEST_PASSWORD, TestApp, add_user};
use duijie::domain::Role;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const SKIP_ENV: &str = "DUIJIE_SKIP_BROWSER_TESTS";

/// Desktop and phone window sizes.
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// Whether the browser tests should run: `false` (after saying so) when
/// `DUIJIE_SKIP_BROWSER_TESTS=1`; a failure naming the packages to install
/// when Chromium or chromedriver is missing.
fn browser_available() -> bool {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v.trim() == "1") {
        eprintln!("skipped: {SKIP_ENV}=1 (browser tests not run)");
        return false;
    }
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "browser tests need Chromium and chromedriver, missing: {}.\n\
         Install them with:  apt-get install -y chromium chromium-driver\n\
         (or set {SKIP_ENV}=1 to skip the browser tests)",
        missing.join(", ")
    );
    true
}

/// A chromedriver process on a free loopback port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
    /// The browser profile and the driver's log.
    dir: tempfile::TempDir,
}

impl Driver {
    async fn start() -> Driver {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
            l.local_addr().expect("local address").port()
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("chromedriver.log")).expect("log file");
        let child = {
            use std::os::unix::process::CommandExt;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                // Its own process group, so the browser goes with it on drop.
                .process_group(0)
                .spawn()
                .expect("start chromedriver")
        };
        let driver = Driver { child, port, dir };
        driver.wait_ready().await;
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }

    async fn wait_ready(&self) {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{}/status", self.url())).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "chromedriver did not start on port {}:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A browser session: headless Chromium with a fresh profile.
    async fn connect(&self) -> Client {
        let profile = self.dir.path().join("profile");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url())
            .await
        {
            Ok(c) => c,
            Err(e) => panic!("could not start Chromium: {e}\n{}", self.log()),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any browser it left behind.
        let pgid = self.child.id();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The folder of the screenshots, `target/browser-screenshots/`, without
/// the earlier pictures named `{prefix}NN-….png`.
fn screenshot_dir(prefix: &str) -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("create screenshot folder");
    let dir = dir.canonicalize().unwrap_or(dir);
    for e in std::fs::read_dir(&dir)
        .expect("read screenshot folder")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.strip_prefix(prefix).is_some_and(|rest| {
            rest.len() > 2 && rest.as_bytes()[..2].iter().all(u8::is_ascii_digit)
        });
        if ours && name.ends_with(".png") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    dir
}

/// The browser, the site under test and the screenshots taken so far.
struct Browser {
    c: Client,
    base: String,
    shots: PathBuf,
    prefix: &'static str,
    taken: Vec<String>,
}

/// Fails with the page's address and a hint when a WebDriver call fails.
trait Must<T> {
    fn must(self, what: &str) -> T;
}

impl<T, E: std::fmt::Display> Must<T> for Result<T, E> {
    fn must(self, what: &str) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

impl Browser {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The path and query of the current page.
    async fn here(&self) -> String {
        let u = self.c.current_url().await.must("current url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// Opens `path`, checks the page and saves a screenshot named `name`.
    async fn visit(&mut self, path: &str, name: &str) {
        self.c.goto(&self.url(path)).await.must(path);
        self.page(name).await;
    }

    /// Checks the current page (language, title) and saves its screenshot.
    async fn page(&mut self, name: &str) {
        let here = self.here().await;
        let lang = self
            .js("return document.documentElement.lang")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(lang, "zh-CN", "{here}: <html lang> is {lang:?}");
        let title = self.c.title().await.must("title");
        assert!(!title.trim().is_empty(), "{here}: empty <title>");
        self.shot(name).await;
    }

    async fn shot(&mut self, name: &str) {
        let png = self.c.screenshot().await.must("screenshot");
        let file = format!("{}{:02}-{name}.png", self.prefix, self.taken.len() + 1);
        std::fs::write(self.shots.join(&file), png).expect("write screenshot");
        self.taken.push(file);
    }

    async fn js(&self, script: &str) -> Value {
        self.c.execute(script, vec![]).await.must(script)
    }

    async fn js_with(&self, script: &str, args: Vec<Value>) -> Value {
        self.c.execute(script, args).await.must(script)
    }

    /// The text of the page's `<main>` (or body).
    async fn text(&self) -> String {
        self.js("return (document.querySelector('main') || document.body).innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let here = self.here().await;
        match self
            .c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("{here}: no element {css}: {e}\n{}", self.text().await),
        }
    }

    /// Types `value` into the field `css` (cleared first).
    async fn type_into(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.must(css);
        e.send_keys(value).await.must(css);
    }

    /// Sets a field's value by script (date inputs, whose typed format
    /// depends on the browser's locale).
    async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        self.js_with(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', {bubbles: true})); \
             e.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(css), json!(value)],
        )
        .await;
    }

    async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .must(&format!("{css} = {value}"));
    }

    /// Clicks `css` and waits for the next page to load (accepting a
    /// confirmation dialog on the way).
    async fn click_and_wait(&self, css: &str) {
        let before = self.js("return performance.timeOrigin").await;
        self.find(css).await.click().await.must(css);
        let started = Instant::now();
        loop {
            if self.c.accept_alert().await.is_ok() {
                continue;
            }
            if let Ok(now) = self
                .c
                .execute("return performance.timeOrigin", vec![])
                .await
                && now != before
                && self
                    .c
                    .execute("return document.readyState", vec![])
                    .await
                    .is_ok_and(|s| s == "complete")
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{css}: no new page after the click"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Signs in through the login page.
    async fn login(&mut self, username: &str) {
        self.visit("/login", &format!("login-{username}")).await;
        self.type_into("#username", username).await;
        self.type_into("#password", TEST_PASSWORD).await;
        self.click_and_wait("main form button[type=submit]").await;
        let text = self.text().await;
        let error_page = self
            .js("return (document.querySelector('main h1')?.innerText || '').startsWith('出错了')")
            .await
            == true;
        if error_page || self.here().await.starts_with("/login") {
            let cookie = self
                .c
                .get_named_cookie("duijie_csrf")
                .await
                .map(|c| c.value().to_owned())
                .unwrap_or_default();
            let hint = if text.contains("403") && cookie.contains(['-', '_']) {
                "; the server issues base64url tokens, but page::visitor_csrf_cookie \
                 only takes back alphanumeric ones"
            } else {
                ""
            };
            panic!(
                "{username} could not sign in through the login page: {text}\n\
                 (visitor CSRF cookie duijie_csrf={cookie:?}{hint})"
            );
        }
        let who = self
            .js("return document.querySelector('header .who')?.innerText || ''")
            .await;
        assert!(
            who.as_str().is_some_and(|w| w.contains(username)),
            "signed in as {username}, header shows {who}"
        );
        self.page(&format!("home-{username}")).await;
    }

    /// Signs out with the header's button.
    async fn logout(&mut self) {
        self.click_and_wait("header form[action='/logout'] button")
            .await;
        let who = self
            .js("return document.querySelector('header .who')?.innerText || ''")
            .await;
        assert_eq!(who, "", "still signed in after 退出");
        assert_eq!(self.here().await, "/");
        self.page("signed-out").await;
    }

    /// At phone width the page has no horizontal scrolling; saves the
    /// phone-width screenshot as `name`.
    async fn check_phone_width(&mut self, name: &str) {
        self.c
            .set_window_size(PHONE.0, PHONE.1)
            .await
            .must("phone size");
        let here = self.here().await;
        let m = self
            .js("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        let (scroll, inner) = (m[0].as_i64().unwrap_or(0), m[1].as_i64().unwrap_or(0));
        assert!(
            inner > 0 && inner <= i64::from(PHONE.0),
            "{here}: window did not shrink to phone width (innerWidth {inner})"
        );
        assert!(
            scroll <= inner + 1,
            "{here}: horizontal overflow at phone width: scrollWidth {scroll} > innerWidth {inner}"
        );
        self.shot(name).await;
        self.c
            .set_window_size(DESKTOP.0, DESKTOP.1)
            .await
            .must("desktop size");
    }
}

/// Runs `scenario` in a fresh headless Chromium against `app`, then closes
/// the browser and stops chromedriver whether it passed or failed, and
/// prints where the screenshots (named `{prefix}NN-….png`) went.
async fn in_browser<F, Fut>(app: TestApp, prefix: &'static str, scenario: F)
where
    F: FnOnce(Arc<TestApp>, Browser) -> Fut,
    Fut: Future<Output = Browser> + Send + 'static,
{
    let started = Instant::now();
    let driver = Driver::start().await;
    let client = driver.connect().await;
    let shots = screenshot_dir(prefix);
    let b = Browser {
        c: client.clone(),
        base: format!("http://{}", app.addr),
        shots: shots.clone(),
        prefix,
        taken: Vec::new(),
    };
    let app = Arc::new(app);
    // Its own task: a failure ends the task, not this function.
    let outcome = tokio::spawn(scenario(app.clone(), b)).await;
    let b = match outcome {
        Ok(b) => b,
        Err(e) => {
            // The page it failed on.
            if let Ok(png) = client.screenshot().await {
                let _ = std::fs::write(shots.join(format!("{prefix}99-failed.png")), png);
            }
            let _ = client.close().await;
            drop(driver);
            eprintln!("screenshots: {}", shots.display());
            std::panic::resume_unwind(e.into_panic());
        }
    };
    let _ = client.close().await;
    drop(driver);
    for f in &b.taken {
        eprintln!("  {f}");
    }
    eprintln!("screenshots: {}", shots.display());
    eprintln!(
        "browser test ({} pages) took {:.1} s",
        b.taken.len(),
        started.elapsed().as_secs_f64()
    );
    if let Ok(app) = Arc::try_unwrap(app) {
        app.stop().await;
    }
}

/// The scenario: an enterprise posts a need through the form, it is
/// found by search, a researcher expresses interest, staff take the match
/// to confirmed and record an agreement, the dashboard counts it, and a
/// confidential need stays hidden from another enterprise.
#[tokio::test]
async fn a_need_goes_from_the_form_to_an_agreement_in_the_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::with_small_corpus(Backend::Sqlite).await;
    in_browser(app, "", |app, mut b| async move {
        scenario(&app, &mut b).await;
        b
    })
    .await;
}

/// A visitor's CSRF token as the server issues it
/// (`credentials::new_csrf_token()`: 43 characters of base64url, so often
/// with `-` or `_`) is taken back by the login form. Deterministic: the page
/// is put in the state the server leaves it in when it issues such a token
/// (cookie and hidden field alike).
#[tokio::test]
async fn the_login_form_accepts_a_visitor_token_with_dashes() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    add_user(&app.db, "bt_dash", Role::Researcher, None).await;
    in_browser(app, "csrf-", |_app, mut b| async move {
        b.visit("/login", "login-form").await;
        let token = "Ab-cD_eF0123456789-_abcdefghijklmnopqrstuvw";
        b.c.delete_cookie("duijie_csrf").await.must("delete cookie");
        b.js_with(
            "document.cookie = `duijie_csrf=${arguments[0]}; path=/; SameSite=Lax`; \
             document.querySelector('main form [name=csrf_token]').value = arguments[0];",
            vec![json!(token)],
        )
        .await;
        let set = b.c.get_named_cookie("duijie_csrf").await.must("cookie");
        assert_eq!(set.value(), token);
        b.type_into("#username", "bt_dash").await;
        b.type_into("#password", TEST_PASSWORD).await;
        b.click_and_wait("main form button[type=submit]").await;
        b.page("after-login").await;
        let who = b
            .js("return document.querySelector('header .who')?.innerText || ''")
            .await;
        assert!(
            who.as_str().is_some_and(|w| w.contains("bt_dash")),
            "the login form refused the visitor token {token:?} \
             (page::visitor_csrf_cookie takes back only alphanumeric tokens, \
             credentials::new_csrf_token issues base64url): {}",
            b.text().await
        );
        b
    })
    .await;
}

/// Posts a need through the form (already open) and returns its path.
async fn submit_need(b: &mut Browser) -> String {
    b.click_and_wait("main form button[type=submit]").await;
    let here = b.here().await;
    // `/needs/{id}?done=…`: the record's page, with a notice.
    let path = here.split('?').next().unwrap_or_default().to_owned();
    assert!(
        path.starts_with("/needs/") && !path.ends_with("/new"),
        "after posting the need: {path}: {}",
        b.text().await
    );
    let notice = b.find("#notice").await.text().await.must("notice");
    assert!(
        notice.contains("发布成功"),
        "after posting the need: {notice}"
    );
    path
}

async fn scenario(app: &TestApp, b: &mut Browser) {
    add_user(
        &app.db,
        "bt_member",
        Role::EnterpriseMember,
        Some("t-org-steel"),
    )
    .await;
    add_user(
        &app.db,
        "bt_other",
        Role::EnterpriseMember,
        Some("t-org-coke"),
    )
    .await;
    add_user(
        &app.db,
        "bt_researcher",
        Role::Researcher,
        Some("t-org-tyut"),
    )
    .await;
    add_user(&app.db, "bt_staff", Role::ProgramStaff, None).await;

    // 1. The enterprise member signs in and posts a need; the first try
    //    has a blank title (spaces: the browser's own `required` check lets
    //    it through, the server does not) and comes back with the field's
    //    message and the typed text kept.
    b.visit("/", "home-visitor").await;
    b.login("bt_member").await;
    let title = "取向硅钢高温退火后底层附着性差";
    let description = "取向硅钢经高温退火后硅酸镁底层附着性差，涂层脱落率约 3%，希望降到 0.5% 以下，需要氧化镁涂液配方和退火工艺优化方案，已经试过调整退火气氛露点，效果不明显。";
    b.visit("/needs/new", "need-form").await;
    b.type_into("[name=title]", "   ").await;
    b.type_into("[name=description]", description).await;
    b.select("[name=field]", "materials").await;
    b.type_into("[name=keywords]", "取向硅钢，底层附着性，氧化镁")
        .await;
    b.find("input[name=cooperation][value=tech_development]")
        .await
        .click()
        .await
        .must("cooperation");
    b.type_into("[name=budget_wan]", "300").await;
    b.click_and_wait("main form button[type=submit]").await;
    b.page("need-form-error").await;
    assert_eq!(b.here().await, "/needs/new", "the blank title was accepted");
    let msg = b.find("#e-title").await.text().await.must("title message");
    assert!(msg.contains("不能为空"), "title message: {msg}");
    let kept = b
        .find("[name=description]")
        .await
        .prop("value")
        .await
        .must("value");
    assert_eq!(
        kept.as_deref(),
        Some(description),
        "the typed description was lost"
    );
    let kept = b
        .find("[name=keywords]")
        .await
        .prop("value")
        .await
        .must("value");
    assert_eq!(kept.as_deref(), Some("取向硅钢，底层附着性，氧化镁"));
    b.type_into("[name=title]", title).await;
    let need_path = submit_need(b).await;
    b.page("need").await;
    let text = b.text().await;
    assert!(
        text.contains(title) && text.contains("测试特钢集团有限公司"),
        "{text}"
    );
    b.check_phone_width("need-phone").await;

    // 2. It is found by search (once the index has it).
    app.wait_for_index().await;
    b.visit("/search?q=取向硅钢底层&kind=need", "search-need")
        .await;
    let text = b.text().await;
    assert!(
        text.contains(title),
        "the new need is not in the results: {text}"
    );
    assert!(
        b.js_with(
            "return !!document.querySelector(`main a[href='${arguments[0]}']`)",
            vec![json!(need_path)]
        )
        .await
            == true,
        "no link to {need_path} in the results"
    );
    b.check_phone_width("search-phone").await;

    // A confidential need, for step 6.
    let secret = "保密：高磁感取向硅钢新成分";
    b.visit("/needs/new", "need-form-confidential").await;
    b.type_into("[name=title]", secret).await;
    b.type_into("[name=description]", "涉及企业核心配方的高磁感取向硅钢新成分开发，需要合金设计和热轧工艺支持，细节仅对项目管理人员公开，合作单位需签署保密协议后再提供详细资料。").await;
    b.select("[name=field]", "materials").await;
    b.find("#f-confidential")
        .await
        .click()
        .await
        .must("confidential");
    let secret_path = submit_need(b).await;
    b.page("need-confidential").await;
    assert!(b.text().await.contains("保密"));
    b.logout().await;

    // 3. A researcher of another organization expresses interest on the
    //    need's page, for one of their institution's capabilities.
    b.login("bt_researcher").await;
    b.visit(&need_path, "need-researcher").await;
    b.select("#f-capability_id", "t-cap-2").await;
    b.type_into(
        "#interest [name=note]",
        "我们的板形闭环控制团队也做过硅钢退火工艺，希望交流。",
    )
    .await;
    b.click_and_wait("#interest button[type=submit]").await;
    b.page("need-interest-sent").await;
    let notice = b.find("#notice").await.text().await.must("notice");
    assert!(
        notice.contains("已表达合作意向"),
        "after the interest: {notice}"
    );
    b.logout().await;

    // 4. Staff open the match from the queue, move it to confirmed with the
    //    page's buttons, and record an agreement through its form.
    b.login("bt_staff").await;
    let kpi_before = dashboard_agreements(b, "dashboard-before").await;
    b.visit("/queue", "queue").await;
    b.check_phone_width("queue-phone").await;
    let match_href = b
        .js_with(
            "const row = Array.from(document.querySelectorAll('table.queue tbody tr'))\
               .find(r => r.textContent.includes(arguments[0])); \
             return row ? row.querySelector('a[href^=\"/matches/\"]').getAttribute('href') : null;",
            vec![json!(title)],
        )
        .await;
    let Some(match_path) = match_href.as_str().map(str::to_owned) else {
        panic!("the need is not in the queue: {}", b.text().await);
    };
    b.click_and_wait(&format!("a[href='{match_path}']")).await;
    assert_eq!(b.here().await, match_path);
    b.page("match").await;
    let steps = [
        ("shortlisted", "入围", "初筛：需求与能力相关"),
        ("introduced", "已引荐", "已安排双方见面"),
        ("negotiating", "洽谈中", "双方商谈技术开发合同"),
        ("confirmed", "已确认合作", "双方同意开展技术开发合作"),
    ];
    for (to, label, note) in steps {
        if to == "confirmed" {
            // Confirming needs a reason: without one the page says so.
            b.find("#note").await.clear().await.must("note");
            b.click_and_wait("button[name=to][value=confirmed]").await;
            b.page("match-confirm-without-note").await;
            let error = b.find("#match-error").await.text().await.must("error");
            let state = b.find("#match-state").await.text().await.must("state");
            assert_eq!(state, "洽谈中", "confirmed without a note: {error}");
            assert!(error.contains("理由"), "{error}");
        }
        b.type_into("#note", note).await;
        b.click_and_wait(&format!("button[name=to][value={to}]"))
            .await;
        b.page(&format!("match-{to}")).await;
        let state = b.find("#match-state").await.text().await.must("state");
        assert_eq!(state, label, "after → {to}: {}", b.text().await);
        let history = b.find("#history").await.text().await.must("history");
        assert!(
            history.contains(note),
            "note {note:?} not in the history: {history}"
        );
    }
    b.check_phone_width("match-phone").await;
    b.click_and_wait("a[href^='/agreements/new']").await;
    b.page("agreement-form").await;
    let match_id = match_path.trim_start_matches("/matches/");
    let prefilled = b
        .find("[name=match_id]")
        .await
        .prop("value")
        .await
        .must("match_id");
    assert_eq!(
        prefilled.as_deref(),
        Some(match_id),
        "the form names the match"
    );
    b.select("[name=contract_type]", "tech_development").await;
    b.type_into("[name=amount_wan]", "320.5").await;
    b.set_value("[name=signing_date]", "2026-05-08").await;
    b.click_and_wait("main form button[type=submit]").await;
    let agreement_path = b
        .here()
        .await
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        agreement_path.starts_with("/agreements/") && !agreement_path.contains("new"),
        "after recording the agreement: {agreement_path}: {}",
        b.text().await
    );
    b.page("agreement").await;
    let text = b.text().await;
    for want in [
        "320.5",
        "技术开发",
        "2026-05-08",
        "测试特钢集团有限公司",
        "测试理工大学",
        title,
    ] {
        assert!(
            text.contains(want),
            "{want} not on the agreement's page: {text}"
        );
    }
    b.visit("/agreements", "agreements").await;
    let listed = b
        .js_with(
            "return !!document.querySelector(`main a[href='${arguments[0]}']`)",
            vec![json!(agreement_path)],
        )
        .await;
    assert!(
        listed == true,
        "{agreement_path} is not listed: {}",
        b.text().await
    );
    b.check_phone_width("agreements-phone").await;

    // 5. The dashboard counts it.
    let kpi_after = dashboard_agreements(b, "dashboard-after").await;
    assert_eq!(kpi_before.0, "0 份", "before: {kpi_before:?}");
    assert_eq!(kpi_after.0, "1 份", "after: {kpi_after:?}");
    assert!(kpi_after.1.contains("320.5"), "{kpi_after:?}");
    b.check_phone_width("dashboard-phone").await;
    b.logout().await;

    // 6. A member of another enterprise gets the 404 page for the
    //    confidential need and does not find it by search.
    b.login("bt_other").await;
    b.visit(&secret_path, "need-confidential-other").await;
    let h1 = b.find("main h1").await.text().await.must("h1");
    assert!(
        h1.contains("404"),
        "{secret_path} for another enterprise: {h1}"
    );
    assert!(!b.text().await.contains(secret));
    b.visit("/search?q=高磁感取向硅钢&kind=need", "search-other")
        .await;
    let text = b.text().await;
    assert!(
        !text.contains(secret),
        "the confidential need is in their results: {text}"
    );
    b.visit("/search?q=取向硅钢底层&kind=need", "search-other-public")
        .await;
    assert!(
        b.text().await.contains(title),
        "the public need is visible to all"
    );
    b.logout().await;
}

/// The agreements tile of the dashboard: its value and its whole text.
async fn dashboard_agreements(b: &mut Browser, name: &str) -> (String, String) {
    b.visit("/dashboard", name).await;
    let value = b
        .find("#kpi-agreements .value")
        .await
        .text()
        .await
        .must("tile value");
    let all = b.find("#kpi-agreements").await.text().await.must("tile");
    (value.trim().to_owned(), all)
}
