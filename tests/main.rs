//! Integration tests, one binary (so linking happens once).

mod api;
mod cli;
mod code_cache;
mod dlopen;
mod dylink;
mod engine;
mod exceptions;
mod hostile;
mod pre;
mod real_libs;
mod signals;
mod stress;

/// Compiles WAT text (test helper shared by the modules).
fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat<'_>>(&buf).expect("parse");
    module.encode().expect("encode")
}

/// Calls export `name` of `instance` with `params`; its results.
fn call(
    store: &mut wrun::Store<()>,
    instance: wrun::Instance,
    name: &str,
    params: &[wrun::Val],
) -> wrun::Result<Vec<wrun::Val>> {
    let func = instance.get_func(&*store, name).expect("export exists");
    let ty = func.ty(&*store);
    let mut results: Vec<wrun::Val> = ty
        .results()
        .iter()
        .map(|t| wrun::Val::default_for(*t))
        .collect();
    func.call(&mut *store, params, &mut results)?;
    Ok(results)
}

/// Bumps `engine`'s epoch once, 50 ms from now, on another thread (for a
/// store whose deadline is the next epoch, spinning in the meantime).
fn increment_epoch_soon(engine: &wrun::Engine) -> std::thread::JoinHandle<()> {
    let engine = engine.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        engine.increment_epoch();
    })
}

/// The one i32 result of a call that must succeed.
fn i32_of(results: wrun::Result<Vec<wrun::Val>>) -> i32 {
    results.expect("call succeeds")[0]
        .i32()
        .expect("an i32 result")
}
