//! `poll_oneoff`: clock subscriptions sleep until the earliest deadline;
//! fd subscriptions are waited on with the host's `poll`.

use std::time::{Duration, Instant};

use super::ctx::WasiCtx;
use super::errno::Errno;
use super::memory::{
    check, len_usize, offset, read_u16, read_u32, read_u64, read_u8, write_bytes, write_u32,
    WasiResult,
};
use super::misc::clock_now;

/// Size of a `subscription` in the wasm32 ABI.
const SUBSCRIPTION_SIZE: usize = 48;
/// Size of an `event` in the wasm32 ABI.
const EVENT_SIZE: usize = 32;
/// `eventtype` values (also the subscription tags).
const EVENT_CLOCK: u8 = 0;
const EVENT_FD_READ: u8 = 1;
const EVENT_FD_WRITE: u8 = 2;
/// `subclockflags.subscription_clock_abstime`.
const ABSTIME: u16 = 1;
/// `eventrwflags.fd_readwrite_hangup`.
const HANGUP: u16 = 1;

/// One event to report back to the guest.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    hangup: bool,
}

impl Event {
    /// Encodes the 32-byte `event` struct.
    fn bytes(&self) -> [u8; EVENT_SIZE] {
        let mut out = [0u8; EVENT_SIZE];
        out[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        out[8..10].copy_from_slice(&(self.error as u16).to_le_bytes());
        out[10] = self.kind;
        // fd_readwrite.nbytes (@16) stays 0: the amount available is not
        // known without extra syscalls, and libc's poll() ignores it.
        if self.hangup {
            out[24..26].copy_from_slice(&HANGUP.to_le_bytes());
        }
        out
    }
}

/// Deadline of a clock subscription as an `Instant` measured from `start`;
/// `None` means so far in the future that it cannot be represented.
fn clock_deadline(
    id: u32,
    timeout: u64,
    flags: u16,
    start: Instant,
) -> WasiResult<Option<Instant>> {
    // Reading the clock also validates `id` for relative timeouts.
    let now = clock_now(id)?;
    let remaining = if flags & ABSTIME != 0 {
        timeout.saturating_sub(now)
    } else {
        timeout
    };
    Ok(start.checked_add(Duration::from_nanos(remaining)))
}

/// Milliseconds for `poll`'s timeout, rounded up so a clock deadline has
/// really passed when poll returns on timeout.
fn poll_timeout_ms(deadline: Option<Instant>) -> libc::c_int {
    match deadline {
        None => -1,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            let ms = left.as_nanos().div_ceil(1_000_000);
            libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
        }
    }
}

/// Sleeps until `deadline` (forever for `None`), robust to early wakeups.
fn sleep_until(deadline: Option<Instant>) {
    loop {
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::from_secs(3600),
        };
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left);
    }
}

impl WasiCtx {
    /// `poll_oneoff(in, out, nsubscriptions, nevents_ptr)`.
    ///
    /// Subscriptions that fail immediately (bad clock id, bad fd) and fds
    /// without a host object (null stdio, always ready) produce events
    /// without waiting. Otherwise the call blocks until an fd is ready or
    /// the earliest clock deadline passes, then reports everything ready.
    pub(crate) fn poll_oneoff(
        &mut self,
        mem: &mut [u8],
        subs_ptr: u32,
        events_ptr: u32,
        nsubs: u32,
        nevents_ptr: u32,
    ) -> WasiResult<()> {
        if nsubs == 0 {
            return Err(Errno::Inval);
        }
        let n = len_usize(nsubs)?;
        let sub_bytes = n.checked_mul(SUBSCRIPTION_SIZE).ok_or(Errno::Fault)?;
        let event_bytes = n.checked_mul(EVENT_SIZE).ok_or(Errno::Fault)?;
        check(mem, subs_ptr, sub_bytes)?;
        check(mem, events_ptr, event_bytes)?;
        check(mem, nevents_ptr, 4)?;

        let start = Instant::now();
        let mut events = Vec::new();
        let mut clocks: Vec<(u64, Option<Instant>)> = Vec::new();
        let mut pollfds: Vec<libc::pollfd> = Vec::new();
        let mut poll_subs: Vec<(u64, u8)> = Vec::new();
        for i in 0..n {
            let sub = offset(subs_ptr, i * SUBSCRIPTION_SIZE)?;
            let userdata = read_u64(mem, sub)?;
            let tag = read_u8(mem, offset(sub, 8)?)?;
            match tag {
                EVENT_CLOCK => {
                    let id = read_u32(mem, offset(sub, 16)?)?;
                    let timeout = read_u64(mem, offset(sub, 24)?)?;
                    let flags = read_u16(mem, offset(sub, 40)?)?;
                    match clock_deadline(id, timeout, flags, start) {
                        Ok(deadline) => clocks.push((userdata, deadline)),
                        Err(error) => events.push(Event {
                            userdata,
                            error,
                            kind: tag,
                            hangup: false,
                        }),
                    }
                }
                EVENT_FD_READ | EVENT_FD_WRITE => {
                    let fd = read_u32(mem, offset(sub, 16)?)?;
                    match self.entry(fd).map(|e| e.host_fd()) {
                        Ok(Some(raw)) => {
                            let wanted = if tag == EVENT_FD_READ {
                                libc::POLLIN
                            } else {
                                libc::POLLOUT
                            };
                            pollfds.push(libc::pollfd {
                                fd: raw,
                                events: wanted,
                                revents: 0,
                            });
                            poll_subs.push((userdata, tag));
                        }
                        other => events.push(Event {
                            userdata,
                            error: other.err().unwrap_or(Errno::Success),
                            kind: tag,
                            hangup: false,
                        }),
                    }
                }
                _ => return Err(Errno::Inval),
            }
        }

        let earliest = clocks.iter().map(|c| c.1).min_by(|a, b| match (a, b) {
            // `None` (unrepresentably far) sorts after every real deadline.
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        if pollfds.is_empty() {
            if events.is_empty() {
                // Only clocks: nsubs > 0 guarantees there is one.
                sleep_until(earliest.flatten());
            }
        } else {
            let nfds = libc::nfds_t::try_from(pollfds.len()).map_err(|_| Errno::Inval)?;
            loop {
                // Something is already reportable: just sample the fds.
                let timeout = if events.is_empty() {
                    match earliest {
                        Some(deadline) => poll_timeout_ms(deadline),
                        None => -1,
                    }
                } else {
                    0
                };
                // SAFETY: `pollfds` is a valid array of `nfds` entries that
                // the kernel updates in place.
                let rc = unsafe { libc::poll(pollfds.as_mut_ptr(), nfds, timeout) };
                if rc >= 0 {
                    break;
                }
                let err = Errno::last();
                if err != Errno::Intr {
                    return Err(err);
                }
            }
        }

        for (pfd, (userdata, kind)) in pollfds.iter().zip(poll_subs) {
            if pfd.revents == 0 {
                continue;
            }
            let error = if pfd.revents & libc::POLLNVAL != 0 {
                Errno::Badf
            } else if pfd.revents & libc::POLLERR != 0 {
                Errno::Io
            } else {
                Errno::Success
            };
            events.push(Event {
                userdata,
                error,
                kind,
                hangup: pfd.revents & libc::POLLHUP != 0,
            });
        }
        let now = Instant::now();
        for (userdata, deadline) in clocks {
            if deadline.is_some_and(|d| d <= now) {
                events.push(Event {
                    userdata,
                    error: Errno::Success,
                    kind: EVENT_CLOCK,
                    hangup: false,
                });
            }
        }

        // At most one event per subscription, so `events` fits the buffer
        // validated above.
        for (i, event) in events.iter().enumerate() {
            write_bytes(mem, offset(events_ptr, i * EVENT_SIZE)?, &event.bytes())?;
        }
        let count = u32::try_from(events.len()).map_err(|_| Errno::Overflow)?;
        write_u32(mem, nevents_ptr, count)
    }
}
