//! A guest's stderr: kept in memory up to a cap, the rest dropped (never a trap, unlike
//! wasmtime's `MemoryOutputPipe`, which traps the guest once full: an instance that serves
//! thousands of calls in a session writes far more than any one call), and cleared at the
//! start of every call so a failure shows that call's own output.

use bytes::Bytes;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

#[derive(Debug, Clone)]
pub struct CappedPipe {
    cap: usize,
    buf: Arc<Mutex<Vec<u8>>>,
}

impl CappedPipe {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            buf: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut b = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.cap.saturating_sub(b.len());
        b.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    pub fn clear(&self) {
        self.buf.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

#[async_trait::async_trait]
impl OutputStream for CappedPipe {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.append(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 << 10)
    }
}

#[async_trait::async_trait]
impl Pollable for CappedPipe {
    async fn ready(&mut self) {}
}

impl AsyncWrite for CappedPipe {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        self.append(b);
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CappedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedPipe {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_the_cap_and_clears() {
        let p = CappedPipe::new(4);
        p.append(b"abc");
        p.append(b"def");
        assert_eq!(p.text(), "abcd");
        p.clear();
        p.append(b"x");
        assert_eq!(p.text(), "x");
    }
}
