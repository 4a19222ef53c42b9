//! mDNS advertisement: the box answers as `NAME.local` and announces `_http._tcp` and
//! `_tableorder._tcp`. Addresses follow interface changes; dropping [`Advertiser`]
//! withdraws the services (goodbye packets) and stops the responder.

use mdns_sd::{ServiceDaemon, ServiceInfo};
use std::collections::HashMap;
use std::time::Duration;

pub const SERVICE_TYPES: [&str; 2] = ["_http._tcp.local.", "_tableorder._tcp.local."];

pub struct Advertiser {
    daemon: ServiceDaemon,
    fullnames: Vec<String>,
}

impl Advertiser {
    /// Starts advertising `name` on `port`. Errors are for the caller to log; the server
    /// keeps serving without mDNS.
    pub fn start(name: &str, port: u16, store_ids: &[String]) -> Result<Advertiser, String> {
        let daemon = ServiceDaemon::new().map_err(|e| format!("cannot start mDNS: {e}"))?;
        let host = format!("{name}.local.");
        let mut props = HashMap::new();
        props.insert("path".to_string(), "/".to_string());
        props.insert("version".to_string(), crate::version::get().to_string());
        props.insert("stores".to_string(), store_ids.join(","));
        let mut fullnames = Vec::new();
        for ty in SERVICE_TYPES {
            let info = ServiceInfo::new(ty, name, &host, "", port, props.clone())
                .map_err(|e| format!("bad mDNS service info: {e}"))?
                // No fixed address: the responder follows the interfaces as they change.
                .enable_addr_auto();
            fullnames.push(info.get_fullname().to_string());
            daemon.register(info).map_err(|e| format!("cannot register mDNS service: {e}"))?;
        }
        tracing::info!(host = %host, port, "advertising on mDNS");
        Ok(Advertiser { daemon, fullnames })
    }
}

impl Drop for Advertiser {
    fn drop(&mut self) {
        for f in &self.fullnames {
            if let Ok(rx) = self.daemon.unregister(f) {
                // Wait briefly so that the goodbye packets leave before the daemon stops.
                let _ = rx.recv_timeout(Duration::from_secs(1));
            }
        }
        if let Ok(rx) = self.daemon.shutdown() {
            let _ = rx.recv_timeout(Duration::from_secs(1));
        }
        tracing::info!("mDNS advertisement withdrawn");
    }
}
