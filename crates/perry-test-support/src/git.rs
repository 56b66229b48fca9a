//! A git daemon on this host serving repositories made from directories, one commit each,
//! reachable from inside workspaces (`git://<host address>:<port>/<name>.git`); killed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The daemon and the repositories it serves.
pub struct GitServer {
    child: std::process::Child,
    dir: PathBuf,
    address: String,
    port: u16,
}

impl GitServer {
    /// Serves repository `name` with `files` (path → contents) as its one commit.
    pub fn with_files(name: &str, files: &[(&str, &str)]) -> GitServer {
        let source = scratch_dir("files");
        for (path, contents) in files {
            let path = source.join(path);
            std::fs::create_dir_all(path.parent().expect("a file path")).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        let server = GitServer::serve(&[(name, &source)]);
        std::fs::remove_dir_all(&source).unwrap();
        server
    }

    /// Serves, for each `(name, directory)`, repository `name` holding the directory's files
    /// as its one commit.
    pub fn serve(repositories: &[(&str, &Path)]) -> GitServer {
        let dir = scratch_dir("git");
        for (name, source) in repositories {
            let work = dir.join("work").join(name);
            copy_dir(source, &work);
            git(&work, &["init", "-q"]);
            git(&work, &["add", "-A"]);
            git(&work, &["commit", "-q", "-m", "first"]);
            let bare = dir.join("srv").join(format!("{name}.git"));
            git(
                &dir,
                &[
                    "clone",
                    "-q",
                    "--bare",
                    work.to_str().unwrap(),
                    bare.to_str().unwrap(),
                ],
            );
        }
        // The host's own address: inside a workspace 172.17.0.1 is the inner dockerd's bridge.
        let addresses = Command::new("hostname").arg("-I").output().unwrap();
        let address = String::from_utf8_lossy(&addresses.stdout)
            .split_whitespace()
            .find(|address| address.parse::<std::net::Ipv4Addr>().is_ok())
            .expect("the host has an IPv4 address")
            .to_owned();
        let port = crate::free_port();
        // git-daemon itself, not `git daemon`, which would leave it running when killed.
        let exec_path = Command::new("git").arg("--exec-path").output().unwrap();
        let daemon =
            PathBuf::from(String::from_utf8_lossy(&exec_path.stdout).trim()).join("git-daemon");
        let child = Command::new(daemon)
            .args([
                "--export-all",
                "--reuseaddr",
                "--informative-errors",
                &format!("--port={port}"),
                &format!("--listen={address}"),
                &format!("--base-path={}", dir.join("srv").display()),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect((address.as_str(), port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        GitServer {
            child,
            dir,
            address,
            port,
        }
    }

    /// The URL of repository `name`.
    pub fn url(&self, name: &str) -> String {
        format!("git://{}:{}/{name}.git", self.address, self.port)
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new empty directory under the system's temp dir.
fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("perry-{tag}-{}", crate::unique_prefix("")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Copies a directory tree, keeping the files' modes (an install.sh stays executable) and
/// symbolic links as links.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
