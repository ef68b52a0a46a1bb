//! Finding PostgreSQL and Redis: use the ones at DATABASE_URL / REDIS_URL (defaults
//! 127.0.0.1:5432 and :6379) when they answer; otherwise start private instances from
//! installed binaries under target/services; otherwise, as root on Debian, install them with
//! apt-get; otherwise stop and say exactly what to install.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PRIVATE_PG_PORT: u16 = 55432;
const PRIVATE_REDIS_PORT: u16 = 56379;

pub struct Services {
    /// A superuser URL (tests create databases; the demo migrates with it).
    pub database_url: String,
    pub redis_url: String,
}

impl Services {
    pub fn print(&self) {
        println!("DATABASE_URL={}", self.database_url);
        println!("REDIS_URL={}", self.redis_url);
    }

    pub fn apply_test_env(&self, cmd: &mut Command) {
        cmd.env("DATABASE_URL", &self.database_url)
            .env("REDIS_URL", &self.redis_url);
    }

    /// The demo's settings: the app role for requests, the superuser for migrations.
    pub fn apply_app_env(&self, cmd: &mut Command, db: &str) {
        let base = self
            .database_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or_else(|| self.database_url.clone());
        let app = base.replacen("://", "://tsunagi_app@", 1);
        let app = strip_user(&app);
        cmd.env("TSUNAGI_DATABASE__URL", format!("{app}/{db}"))
            .env("TSUNAGI_DATABASE__ADMIN_URL", format!("{base}/{db}"))
            .env("TSUNAGI_REDIS__URL", &self.redis_url);
    }
}

/// `postgres://tsunagi_app@postgres@host` → `postgres://tsunagi_app@host` (the first user wins).
fn strip_user(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let parts: Vec<&str> = rest.splitn(3, '@').collect();
    match parts.as_slice() {
        [app, _old, host] => format!("{scheme}://{app}@{host}"),
        _ => url.to_owned(),
    }
}

fn answers(host_port: &str) -> bool {
    host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_ok())
}

/// `scheme://user@host:port/db` → `host:port`.
fn host_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    let hp = rest.split(['/', '?']).next().unwrap_or("127.0.0.1");
    if hp.contains(':') {
        hp.to_owned()
    } else {
        format!("{hp}:{default_port}")
    }
}

fn root() -> PathBuf {
    crate::root()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    if !is_root() || which("apt-get").is_none() {
        return Err("not root on a Debian-like system".into());
    }
    eprintln!("xtask: installing {} with apt-get", packages.join(" "));
    let _ = Command::new("apt-get").args(["update", "-qq"]).status();
    let ok = Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(format!("apt-get install {} failed", packages.join(" ")))
    }
}

fn wait_for(host_port: &str, secs: u64) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if answers(host_port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

pub fn ensure() -> Result<Services, String> {
    Ok(Services {
        database_url: ensure_postgres()?,
        redis_url: ensure_redis()?,
    })
}

fn pg_bin_dir() -> Option<PathBuf> {
    if let Some(p) = which("pg_ctl") {
        return p.parent().map(Path::to_path_buf);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop()
}

fn ensure_postgres() -> Result<String, String> {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    if answers(&host_port(&url, 5432)) {
        return Ok(url);
    }
    let private = format!("postgres://postgres@127.0.0.1:{PRIVATE_PG_PORT}/postgres");
    if answers(&format!("127.0.0.1:{PRIVATE_PG_PORT}")) {
        return Ok(private);
    }
    let bin = match pg_bin_dir() {
        Some(b) => b,
        None => {
            apt_install(&["postgresql"]).map_err(|why| {
                format!("PostgreSQL is not reachable at {url} and not installed ({why}). Install it (Debian: `apt-get install postgresql`) or set DATABASE_URL to a PostgreSQL 15+ superuser URL.")
            })?;
            pg_bin_dir().ok_or(
                "PostgreSQL was installed but pg_ctl was not found under /usr/lib/postgresql",
            )?
        }
    };
    let dir = root().join("target/services/postgres");
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // PostgreSQL refuses to run as root: run it as the `postgres` system user.
    let as_user = |args: &[&str]| -> Command {
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).args(args);
            c
        } else {
            let mut c = Command::new(args[0]);
            c.args(&args[1..]);
            c
        }
    };
    if is_root() {
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status();
    }
    let (initdb, pg_ctl) = (bin.join("initdb"), bin.join("pg_ctl"));
    let data_s = data.to_string_lossy().into_owned();
    if !data.join("PG_VERSION").is_file() {
        eprintln!("xtask: initialising a private PostgreSQL cluster in {data_s}");
        crate::run(&mut as_user(&[
            &initdb.to_string_lossy(),
            "-D",
            &data_s,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ]))?;
    }
    let log = dir.join("postgres.log").to_string_lossy().into_owned();
    let opts = format!(
        "-p {PRIVATE_PG_PORT} -c listen_addresses=127.0.0.1 -k {} -c max_connections=300 -c fsync=off",
        dir.to_string_lossy()
    );
    eprintln!("xtask: starting private PostgreSQL on 127.0.0.1:{PRIVATE_PG_PORT}");
    crate::run(&mut as_user(&[
        &pg_ctl.to_string_lossy(),
        "-D",
        &data_s,
        "-l",
        &log,
        "-o",
        &opts,
        "-w",
        "start",
    ]))?;
    if !wait_for(&format!("127.0.0.1:{PRIVATE_PG_PORT}"), 30) {
        return Err(format!("private PostgreSQL did not start; see {log}"));
    }
    Ok(private)
}

fn ensure_redis() -> Result<String, String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    if answers(&host_port(&url, 6379)) {
        return Ok(url);
    }
    let private = format!("redis://127.0.0.1:{PRIVATE_REDIS_PORT}");
    if answers(&format!("127.0.0.1:{PRIVATE_REDIS_PORT}")) {
        return Ok(private);
    }
    let server = match which("redis-server") {
        Some(s) => s,
        None => {
            apt_install(&["redis-server"]).map_err(|why| {
                format!("Redis is not reachable at {url} and redis-server is not installed ({why}). Install it (Debian: `apt-get install redis-server`) or set REDIS_URL.")
            })?;
            which("redis-server").ok_or("redis-server was installed but is not on PATH")?
        }
    };
    let dir = root().join("target/services/redis");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    eprintln!("xtask: starting private Redis on 127.0.0.1:{PRIVATE_REDIS_PORT}");
    crate::run(Command::new(server).args([
        "--port",
        &PRIVATE_REDIS_PORT.to_string(),
        "--bind",
        "127.0.0.1",
        "--daemonize",
        "yes",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        &dir.to_string_lossy(),
        "--logfile",
        &dir.join("redis.log").to_string_lossy(),
    ]))?;
    if !wait_for(&format!("127.0.0.1:{PRIVATE_REDIS_PORT}"), 15) {
        return Err("private Redis did not start".into());
    }
    Ok(private)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port() {
        assert_eq!(
            host_port("postgres://postgres@127.0.0.1:5432/postgres", 5432),
            "127.0.0.1:5432"
        );
        assert_eq!(host_port("redis://127.0.0.1", 6379), "127.0.0.1:6379");
        assert_eq!(
            host_port("postgres://u:p@db.example:6000/x?sslmode=require", 5432),
            "db.example:6000"
        );
    }

    #[test]
    fn app_url_replaces_user() {
        assert_eq!(
            strip_user("postgres://tsunagi_app@postgres@127.0.0.1:5432"),
            "postgres://tsunagi_app@127.0.0.1:5432"
        );
        assert_eq!(
            strip_user("postgres://tsunagi_app@127.0.0.1:5432"),
            "postgres://tsunagi_app@127.0.0.1:5432"
        );
    }
}
