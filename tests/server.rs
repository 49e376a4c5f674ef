//! `vmlint server` driven as an editor drives it: JSON-RPC over stdio, and
//! a real editor (Neovim, headless) showing its diagnostics.

use crate::util::root;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vmlint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Client {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the server closed its output"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// The next message that `pick` accepts (others, such as diagnostics
    /// of another document, are passed over).
    /// The text of the hover at `line`:`character` of `uri` (request `id`).
    fn hover(&mut self, id: u64, uri: &str, line: u32, character: u32) -> String {
        self.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}}}),
        );
        let hover = self.wait(|m| m["id"] == id);
        hover["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn wait(&mut self, pick: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = self.recv();
            if pick(&m) {
                return m;
            }
        }
    }
}

/// The PT015 fix case (a host and a VM with hot add on) in a temporary folder.
fn pt015_case() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for f in ["esx-fix-01.host.yaml", "vm.vm.yaml"] {
        std::fs::copy(
            root().join("tests/fix/pt015-yaml").join(f),
            t.path().join(f),
        )
        .unwrap();
    }
    t
}

fn initialize(c: &mut Client) {
    c.send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}}),
    );
    c.wait(|m| m["id"] == 0);
    c.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
}

fn shut_down(mut c: Client) {
    c.send(json!({"jsonrpc": "2.0", "id": 99, "method": "shutdown"}));
    c.wait(|m| m["id"] == 99);
    c.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    assert!(c.child.wait().unwrap().success());
}

fn diagnostics_of(uri: &str) -> impl Fn(&Value) -> bool + '_ {
    move |m: &Value| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
}

#[test]
fn an_editor_session_gets_diagnostics_fixes_and_a_clean_shutdown() {
    let t = pt015_case();
    let path = t.path().join("vm.vm.yaml");
    let uri = format!("file://{}", path.display());
    // the buffer differs from the file on disk: the buffer is what counts
    let disk = std::fs::read_to_string(&path).unwrap();
    let buffer = disk.replace(
        "hot_add:\n  cpu: true\n  memory: true",
        "hot_add:\n  cpu: true\n  memory: false",
    );
    let mut c = Client::start();
    c.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "capabilities": {}, "rootUri": format!("file://{}", t.path().display())}}),
    );
    let init = c.wait(|m| m["id"] == 1);
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-16");
    c.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": buffer}}}),
    );
    let d = c.wait(diagnostics_of(&uri));
    let list = d["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{d}");
    assert_eq!(list[0]["code"], "PT015");
    assert_eq!(
        list[0]["message"],
        "CPU hot add is on for a VM with passthrough devices"
    );
    // `  cpu: true` is line 14 (0-based), the value at characters 7..11
    assert_eq!(
        list[0]["range"],
        json!({"start": {"line": 14, "character": 7}, "end": {"line": 14, "character": 11}})
    );
    // the fix, as a workspace edit
    c.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 14, "character": 0}, "end": {"line": 14, "character": 11}},
        "context": {"diagnostics": list}}}),
    );
    let actions = c.wait(|m| m["id"] == 2);
    let actions = actions["result"].as_array().unwrap();
    let fix = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Fix PT015"))
        .unwrap();
    assert_eq!(fix["edit"]["changes"][&uri][0]["newText"], "false");
    assert_eq!(
        fix["edit"]["changes"][&uri][0]["range"]["start"],
        json!({"line": 14, "character": 7})
    );
    assert!(
        actions
            .iter()
            .any(|a| a["title"] == "Suppress PT015 on this line, with a reason")
    );
    // hover on a finding explains its rule; on a key, the field it sets
    let text = c.hover(3, &uri, 14, 8);
    assert!(text.starts_with("PT015 passthrough-with-hot-add"), "{text}");
    let text = c.hover(6, &uri, 14, 3);
    assert!(text.starts_with("`cpu`: CPU hot add is on"), "{text}");
    // the user fixes the buffer: the diagnostics go
    let fixed = buffer.replace("  cpu: true", "  cpu: false");
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}}),
    );
    let d = c.wait(diagnostics_of(&uri));
    assert_eq!(d["params"]["diagnostics"], json!([]));
    // an unknown request is an error, not the end of the server
    c.send(json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/rename", "params": {}}));
    assert!(c.wait(|m| m["id"] == 4)["error"].is_object());
    c.send(json!({"jsonrpc": "2.0", "id": 5, "method": "shutdown"}));
    c.wait(|m| m["id"] == 5);
    c.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    assert!(c.child.wait().unwrap().success());
    // the file on disk was never touched
    assert_eq!(std::fs::read_to_string(&path).unwrap(), disk);
}

#[test]
fn a_bad_buffer_is_a_diagnostic_and_the_server_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("broken.vm.yaml");
    std::fs::write(&path, "kind: vm\n").unwrap();
    let uri = format!("file://{}", path.display());
    let mut c = Client::start();
    c.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}}}}),
    );
    assert_eq!(
        c.wait(|m| m["id"] == 1)["result"]["capabilities"]["positionEncoding"],
        "utf-8"
    );
    for text in [
        "kind: vm\nname: [\n",
        "\u{0}\u{1}binary",
        "kind: vm\nname: ok\nmemory_mb: lots\n",
    ] {
        c.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 1}, "contentChanges": [{"text": text}]}}),
        );
        let d = c.wait(diagnostics_of(&uri));
        assert!(
            !d["params"]["diagnostics"].as_array().unwrap().is_empty(),
            "{text:?}: {d}"
        );
    }
    // a rule file and a configuration being edited get their own diagnostics
    for (name, text, code) in [
        (
            "policy.rules",
            "rule LAB001 x {\n  on vm\n  assert vm.memroy_mb > 0\n}\n",
            "VL102",
        ),
        (".vmlint.yaml", "selcet: [PT]\n", "VL106"),
    ] {
        let p = t.path().join(name);
        std::fs::write(&p, "").unwrap();
        let u = format!("file://{}", p.display());
        c.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": u, "languageId": "text", "version": 1, "text": text}}}),
        );
        let d = c.wait(diagnostics_of(&u));
        assert_eq!(d["params"]["diagnostics"][0]["code"], code, "{d}");
        c.send(json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": u}}}));
        std::fs::remove_file(&p).unwrap();
    }
    c.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    c.wait(|m| m["id"] == 2);
    c.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    assert!(c.child.wait().unwrap().success());
}

/// Neovim's own LSP client, headless: the diagnostics it shows for a file.
#[test]
fn neovim_shows_the_servers_diagnostics() {
    if Command::new("nvim").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs neovim (see .ci/run)"
        );
        eprintln!("neovim is not installed: the editor test needs it (apt-get install neovim)");
        return;
    }
    let t = pt015_case();
    let out = t.path().join("diagnostics.txt");
    // 0.7 (Debian 12) has start_client; wait() until diagnostics arrive
    let lua = format!(
        r#"
local id = vim.lsp.start_client({{ name = "vmlint", cmd = {{ "{bin}", "server" }}, root_dir = "{dir}" }})
vim.cmd("edit {dir}/vm.vm.yaml")
vim.lsp.buf_attach_client(0, id)
local ok = vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local lines = {{}}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(lines, string.format("%d:%d %s %s", d.lnum, d.col, d.code or "", d.message))
end
vim.fn.writefile(lines, "{out}")
vim.cmd("qall!")
"#,
        bin = env!("CARGO_BIN_EXE_vmlint"),
        dir = t.path().display(),
        out = out.display()
    );
    let script = t.path().join("test.lua");
    std::fs::write(&script, lua).unwrap();
    let r = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .current_dir(t.path())
        .output()
        .unwrap();
    let shown = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        shown
            .contains("14:7 PT015 CPU and memory hot add are on for a VM with passthrough devices"),
        "neovim showed: {shown:?}; stderr: {}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn a_shift_jis_vmx_buffer_is_read_as_the_editor_shows_it() {
    let t = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("tests/fix/pt009-vmx/esx-fix-01.host.yaml"),
        t.path().join("esx-fix-01.host.yaml"),
    )
    .unwrap();
    // on disk in Shift_JIS; the editor sends the decoded text, and the
    // Japanese before the finding counts one UTF-16 unit a character
    let text = ".encoding = \"Shift_JIS\"\r\n# vmlint: host=esx-fix-01\r\nvirtualHW.version = \"20\"\r\nfirmware = \"efi\"\r\nmemSize = \"65536\"\r\nsched.mem.pin = \"TRUE\"\r\npciPassthru.use64bitMMIO = \"TRUE\"\r\npciPassthru.64bitMMIOSizeGB = \"128\"\r\ndisplayName = \"学習サーバー\"\r\nannotation = \"担当: 基盤\"; vcpu.hotadd = \"TRUE\"\r\nvcpu.hotadd = \"TRUE\"\r\npciPassthru0.id = \"00000:059:00.0\"\r\npciPassthru0.present = \"TRUE\"\r\n";
    let path = t.path().join("vm.vmx");
    std::fs::write(&path, encoding_rs::SHIFT_JIS.encode(text).0).unwrap();
    let uri = format!("file://{}", path.display());
    let mut c = Client::start();
    initialize(&mut c);
    c.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "vmx", "version": 1, "text": text}}}),
    );
    let d = c.wait(diagnostics_of(&uri));
    let list = d["params"]["diagnostics"].as_array().unwrap();
    let pt015 = list
        .iter()
        .find(|x| x["code"] == "PT015")
        .unwrap_or_else(|| panic!("{d}"));
    // line 10 (0-based) is `vcpu.hotadd = "TRUE"`: the value at 15..19
    assert_eq!(
        pt015["range"],
        json!({"start": {"line": 10, "character": 15}, "end": {"line": 10, "character": 19}}),
        "{d}"
    );
    // after Japanese text, columns count UTF-16 units: the text after the
    // closing quote of line 9 starts at 21 (`annotation = "` 14, 6 characters, `"`)
    let after = list
        .iter()
        .find(|x| x["code"] == "VL009")
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(
        after["range"]["start"],
        json!({"line": 9, "character": 21}),
        "{d}"
    );
    assert_eq!(list.len(), 2, "{d}");
    shut_down(c);
}
