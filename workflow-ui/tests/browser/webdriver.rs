//! A W3C WebDriver client for one headless Chromium session, driven
//! through ChromeDriver.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::http::request;

/// How long a wait for the page lasts: generous, as CI runs browsers
/// beside other tests on two cores.
const PATIENCE: Duration = Duration::from_secs(30);

/// The key W3C WebDriver names an element reference by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running ChromeDriver and one browser session in it; both end on drop.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

/// An element of the current page.
#[derive(Clone)]
pub struct Element(String);

impl Browser {
    /// Starts `chromedriver` and a headless `chromium` session in it.
    pub fn start(chromedriver: &Path, chromium: &Path) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1000",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        } } });
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
            _profile: profile,
        };
        let created = browser.call("POST", "/session", capabilities);
        browser.session = created["sessionId"]
            .as_str()
            .expect("a new session has an id")
            .to_owned();
        browser
    }

    /// Sends one WebDriver command and returns its `value`, panicking on
    /// an error.
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        match self.try_call(method, path, body) {
            Ok(value) => value,
            Err(error) => panic!("WebDriver {method} {path}: {error}"),
        }
    }

    fn try_call(&self, method: &str, path: &str, body: Value) -> Result<Value, Value> {
        let body = if method == "GET" {
            String::new()
        } else {
            body.to_string()
        };
        let response = request(self.addr, method, path, &[("Content-Type", "application/json")], &body);
        let value: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
        match response.status {
            200 => Ok(value["value"].clone()),
            _ => Err(value["value"].clone()),
        }
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    /// Makes the window `width` by `height` pixels.
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &self.session_path("/window/rect"),
            json!({ "width": width, "height": height }),
        );
    }

    /// Opens `url`.
    pub fn go(&self, url: &str) {
        self.call("POST", &self.session_path("/url"), json!({ "url": url }));
    }

    /// The current page's URL.
    pub fn url(&self) -> String {
        self.call("GET", &self.session_path("/url"), Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element `css` selects, waiting up to [`PATIENCE`] for it.
    pub fn find(&self, css: &str) -> Element {
        self.wait_for(&format!("an element `{css}`"), || self.try_find(css))
    }

    fn try_find(&self, css: &str) -> Option<Element> {
        let found = self
            .try_call(
                "POST",
                &self.session_path("/element"),
                json!({ "using": "css selector", "value": css }),
            )
            .ok()?;
        Some(Element(found[ELEMENT].as_str()?.to_owned()))
    }

    /// Clicks `element`.
    pub fn click(&self, element: &Element) {
        self.call(
            "POST",
            &self.session_path(&format!("/element/{}/click", element.0)),
            json!({}),
        );
    }

    /// Types `text` into `element`.
    pub fn type_into(&self, element: &Element, text: &str) {
        self.call(
            "POST",
            &self.session_path(&format!("/element/{}/value", element.0)),
            json!({ "text": text }),
        );
    }

    /// The rendered text of `element`.
    pub fn text(&self, element: &Element) -> String {
        self.call(
            "GET",
            &self.session_path(&format!("/element/{}/text", element.0)),
            Value::Null,
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The text of the first element `css` selects now, if there is one
    /// (`None` too when the page is replaced while it is read).
    pub fn text_at(&self, css: &str) -> Option<String> {
        let element = self.try_find(css)?;
        let path = self.session_path(&format!("/element/{}/text", element.0));
        let text = self.try_call("GET", &path, Value::Null).ok()?;
        text.as_str().map(str::to_owned)
    }

    /// Runs `script` in the page and returns what it returns.
    pub fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.session_path("/execute/sync"),
            json!({ "script": script, "args": [] }),
        )
    }

    /// The text of an open `alert`, if one is open.
    pub fn alert_text(&self) -> Option<String> {
        let text = self
            .try_call("GET", &self.session_path("/alert/text"), Value::Null)
            .ok()?;
        text.as_str().map(str::to_owned)
    }

    /// Writes a screenshot of the page to `path`.
    pub fn screenshot(&self, path: &Path) {
        let encoded = self.call("GET", &self.session_path("/screenshot"), Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("a screenshot is base64"))
            .expect("a screenshot decodes");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Waits up to [`PATIENCE`] for `probe` to give something.
    pub fn wait_for<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(found) = probe() {
                return found;
            }
            if Instant::now() >= deadline {
                let text = self.eval("return document.body ? document.body.innerText : '';");
                panic!(
                    "waited {PATIENCE:?} for {what} on {}, which reads:\n{}",
                    self.url(),
                    text.as_str().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_call("DELETE", &self.session_path(""), Value::Null);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
