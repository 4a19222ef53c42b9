//! The photo worker: menu photos are made into cards one at a time, on one thread of their
//! own. A decoded photo takes tens of MB; on one thread, the memory one photo used is the
//! memory the next one gets (the allocator keeps it at hand), so several uploads in a row
//! never hold more than one photo's worth. A photo whose sender has gone away before its
//! turn is skipped; one that is being decoded when its sender goes away finishes, and the
//! next waits for it.

use crate::domain::photo::{self, PhotoError};
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

type Job = (Bytes, oneshot::Sender<Result<Vec<u8>, PhotoError>>);

pub struct Photos {
    jobs: mpsc::Sender<Job>,
}

impl Photos {
    /// Starts the worker thread; it ends when the last `Photos` handle is dropped.
    pub fn start() -> Photos {
        // A few waiting at most: each holds its upload (2 MB at most) until its turn.
        let (jobs, mut rx) = mpsc::channel::<Job>(4);
        std::thread::Builder::new()
            .name("photos".into())
            .spawn(move || {
                while let Some((data, reply)) = rx.blocking_recv() {
                    if reply.is_closed() {
                        continue;
                    }
                    // A decoder that panics on a hostile file costs that photo, not the worker.
                    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| photo::card(&data)))
                        .unwrap_or_else(|_| Err(PhotoError::Unreadable("the decoder gave up on this file".into())));
                    let _ = reply.send(made);
                }
            })
            .expect("the photo thread starts");
        Photos { jobs }
    }

    /// The card image of an upload, made in its turn.
    pub async fn card(&self, data: Bytes) -> Result<Result<Vec<u8>, PhotoError>, &'static str> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send((data, reply)).await.map_err(|_| "the photo worker has stopped")?;
        answer.await.map_err(|_| "the photo worker has stopped")
    }
}
