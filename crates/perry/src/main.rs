//! `perry`: the command line of Perry. Thin: it parses arguments and calls the agent library
//! (for `perry agent run` and `perry build`) or the agent's API (for everything else).

mod cli;
mod client;
mod fleet;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse_or_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PERRY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(if cli.draws_full_screen() {
            // Log lines on stderr would scribble over the TUI's screen.
            tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::sink)
        } else {
            tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr)
        })
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr()) && !cli::no_colour_requested(),
        )
        .with_target(false)
        .init();
    // One TLS implementation for the agent's HTTPS and the CLI's https/wss: rustls on ring.
    perry_agent::tls::install_crypto_provider();
    // The agent serves many clients at once: one worker per CPU (at least two, so a task that
    // blocks in place always leaves one to the rest). Every other command is one client whose
    // latency (a keystroke's echo in `perry shell`) is best on one thread, with no handoffs.
    let mut builder = if cli.runs_agent() {
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(cpus.max(2));
        builder
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(exit_code) => exit_code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
