//! What the loader-level fuzz targets share.

use std::sync::OnceLock;

/// One engine per fuzzing process, with epoch interruption and a thread
/// bumping the epoch every 5 ms, so a guest that loops forever is stopped
/// by the store's deadline.
pub fn engine() -> &'static wrun::Engine {
    static ENGINE: OnceLock<wrun::Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let engine =
            wrun::Engine::new(wrun::Config::new().epoch_interruption(true)).expect("engine");
        let ticker = engine.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(5));
            ticker.increment_epoch();
        });
        engine
    })
}
