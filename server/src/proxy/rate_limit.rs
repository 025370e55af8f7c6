//! Token-bucket rate limit per client address.
//!
//! Each client gets a bucket of `rate` tokens that refills at `rate` tokens per second, so a
//! client may send a burst of one second's worth of lookups and then `rate` per second. IPv4
//! addresses count one by one. IPv6 addresses count per /64 prefix, because a /64 is the
//! smallest subnet normally given to one network, so one client can use any address in it.
//! The limit is per instance: behind a load balancer that spreads a client over N instances,
//! the client gets up to N times the rate.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Maximum number of client buckets kept. When the table is full, idle buckets are dropped,
/// and a new client that still finds no room is rejected until one frees up.
pub const MAX_CLIENTS: usize = 100_000;

/// Minimum time between two sweeps of a full table.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
struct Table {
    buckets: HashMap<IpAddr, Bucket>,
    last_sweep: Option<Instant>,
}

/// Rate limiter shared by every request of one proxy instance.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    table: Mutex<Table>,
}

impl RateLimiter {
    /// Creates a limiter of `rate_per_second` lookups per second and client, with a burst of
    /// the same size. A rate of 0 counts as 1, because a disabled limit has no limiter at all.
    pub fn new(rate_per_second: u32) -> Self {
        Self {
            rate: f64::from(rate_per_second.max(1)),
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// Takes one token for `client` at time `now`. Returns `Err` with the whole number of
    /// seconds after which a token will be available (at least 1) when the bucket is empty.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let key = client_key(client);
        let mut table = self.lock();

        if !table.buckets.contains_key(&key) && table.buckets.len() >= MAX_CLIENTS {
            self.sweep(&mut table, now);
            if table.buckets.len() >= MAX_CLIENTS {
                return Err(1);
            }
        }

        let rate = self.rate;
        let bucket = table.buckets.entry(key).or_insert(Bucket {
            tokens: rate,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.updated = now;

        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait_seconds = ((1.0 - bucket.tokens) / rate).ceil();
            // The wait is at most 1 s for any rate of 1 or more.
            Err((wait_seconds as u64).max(1))
        }
    }

    /// Drops the buckets that have refilled completely, since a new bucket would be the same.
    fn sweep(&self, table: &mut Table, now: Instant) {
        if table
            .last_sweep
            .is_some_and(|last| now.saturating_duration_since(last) < SWEEP_INTERVAL)
        {
            return;
        }
        table.last_sweep = Some(now);
        let rate = self.rate;
        table.buckets.retain(|_, bucket| {
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens + elapsed * rate < rate
        });
        if table.buckets.len() >= MAX_CLIENTS {
            tracing::warn!(
                clients = table.buckets.len(),
                max_clients = MAX_CLIENTS,
                "rate limit table is full of active clients, so new clients get 429 until \
                 buckets refill"
            );
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every critical section leaves the table consistent, so a poisoned lock is still usable.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn client_count(&self) -> usize {
        self.lock().buckets.len()
    }
}

/// Maps an address to its bucket key: IPv4 (IPv4-mapped IPv6 included) as is, IPv6 cut to its
/// /64 prefix.
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn v4(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    fn parse(text: &str) -> IpAddr {
        match text.parse() {
            Ok(address) => address,
            Err(error) => panic!("invalid test address {text}: {error}"),
        }
    }

    #[test]
    fn burst_then_reject() {
        let limiter = RateLimiter::new(3);
        let now = Instant::now();
        for attempt in 0..3 {
            assert_eq!(limiter.check(v4(1), now), Ok(()), "attempt {attempt}");
        }
        assert_eq!(limiter.check(v4(1), now), Err(1));
    }

    #[test]
    fn tokens_refill_over_time() {
        let limiter = RateLimiter::new(2);
        let start = Instant::now();
        assert_eq!(limiter.check(v4(1), start), Ok(()));
        assert_eq!(limiter.check(v4(1), start), Ok(()));
        assert_eq!(limiter.check(v4(1), start), Err(1));
        let half_second = start + Duration::from_millis(500);
        assert_eq!(limiter.check(v4(1), half_second), Ok(()));
        assert_eq!(limiter.check(v4(1), half_second), Err(1));
        let much_later = start + Duration::from_secs(60);
        assert_eq!(limiter.check(v4(1), much_later), Ok(()));
        assert_eq!(limiter.check(v4(1), much_later), Ok(()));
        assert_eq!(limiter.check(v4(1), much_later), Err(1));
    }

    #[test]
    fn clients_are_separate() {
        let limiter = RateLimiter::new(1);
        let now = Instant::now();
        assert_eq!(limiter.check(v4(1), now), Ok(()));
        assert_eq!(limiter.check(v4(1), now), Err(1));
        assert_eq!(limiter.check(v4(2), now), Ok(()));
    }

    #[test]
    fn ipv6_counts_per_64_prefix() {
        let limiter = RateLimiter::new(1);
        let now = Instant::now();
        assert_eq!(limiter.check(parse("2001:db8:1:2::1"), now), Ok(()));
        assert_eq!(limiter.check(parse("2001:db8:1:2:ffff::9"), now), Err(1));
        assert_eq!(limiter.check(parse("2001:db8:1:3::1"), now), Ok(()));
    }

    #[test]
    fn mapped_ipv4_counts_as_ipv4() {
        let limiter = RateLimiter::new(1);
        let now = Instant::now();
        assert_eq!(limiter.check(parse("::ffff:192.0.2.1"), now), Ok(()));
        assert_eq!(limiter.check(v4(1), now), Err(1));
    }

    #[test]
    fn full_table_drops_idle_clients() {
        let limiter = RateLimiter::new(1);
        let start = Instant::now();
        for index in 0..MAX_CLIENTS {
            let Ok(index) = u32::try_from(index) else {
                panic!("index {index} exceeds u32");
            };
            let address = IpAddr::V4(Ipv4Addr::from(0x0A00_0000 + index));
            assert_eq!(limiter.check(address, start), Ok(()));
        }
        assert_eq!(limiter.client_count(), MAX_CLIENTS);

        assert_eq!(limiter.check(v4(1), start), Err(1));
        assert_eq!(limiter.client_count(), MAX_CLIENTS);

        let later = start + Duration::from_secs(2);
        assert_eq!(limiter.check(v4(1), later), Ok(()));
        assert_eq!(limiter.client_count(), 1);
    }
}
