//! The sandbox's notes to the operator (an internal error's cause, a failed Stripe call, an
//! ignored webhook…), through [`note`]: on stderr unless this process [`silence_notes`]
//! (`gigcheck mutants` runs many sandboxes whose notes would drown its own progress).

use std::sync::atomic::{AtomicBool, Ordering};

static SILENT: AtomicBool = AtomicBool::new(false);

/// Stops every sandbox of this process from writing notes (request logs are their config's).
pub fn silence_notes() {
    SILENT.store(true, Ordering::SeqCst);
}

/// A note for the operator: `sandbox: <text>` on stderr, unless silenced.
pub fn note(text: std::fmt::Arguments) {
    if !SILENT.load(Ordering::SeqCst) {
        errln!("sandbox: {text}");
    }
}
