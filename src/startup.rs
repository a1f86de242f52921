//! Building and running the server. The listener is bound before serving so a
//! test can ask for port 0 and learn the port; shutdown is a future passed in,
//! so tests stop the server explicitly and `serve` stops on SIGTERM or Ctrl-C.

use crate::domain::Taxonomy;
use crate::http::{self, state::AppState};
use crate::search::SearchService;
use crate::storage::{self, repo};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Connects, applies migrations, seeds the taxonomy from the shipped file and
/// loads it.
pub async fn open_database(url: &str) -> anyhow::Result<(DatabaseConnection, Taxonomy)> {
    let db = storage::connect(url).await?;
    // One process at a time: replicas may start together.
    let lock = storage::schema_lock(&db).await?;
    storage::migrate(&db).await?;
    let base = Taxonomy::builtin().context("the shipped taxonomy.toml does not parse")?;
    repo::taxonomy::seed(&db, &base).await?;
    if let Some(lock) = lock {
        lock.commit().await?;
    }
    let taxonomy = repo::taxonomy::load(&db).await?;
    Ok((db, taxonomy))
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    webhooks: crate::webhooks::WebhookConfig,
}

impl Application {
    /// Binds `bind` (e.g. `127.0.0.1:8080`, or port 0 for any free port) and
    /// starts the search service over `data_dir`.
    pub async fn build(
        db: DatabaseConnection,
        taxonomy: Taxonomy,
        bind: &str,
        data_dir: &Path,
        model: Option<Arc<crate::semantic::Model>>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(bind)
            .await
            .with_context(|| format!("无法监听 / cannot listen on {bind}"))?;
        let search = SearchService::start(db.clone(), data_dir, model);
        Ok(Self {
            listener,
            state: AppState {
                db,
                taxonomy: Arc::new(crate::http::state::TaxonomyCell::new(taxonomy)),
                search,
                webhook_allow_private: false,
                token_limiter: crate::http::rate_limit::TokenLimiter::from_env().map(Arc::new),
            },
            webhooks: crate::webhooks::WebhookConfig::default(),
        })
    }

    /// Replaces the webhook delivery settings (tests use short backoffs and
    /// allow private targets for their local receivers).
    pub fn with_webhook_config(mut self, config: crate::webhooks::WebhookConfig) -> Self {
        self.state.webhook_allow_private = config.allow_private_targets;
        self.webhooks = config;
        self
    }

    pub fn search(&self) -> &SearchService {
        &self.state.search
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = http::router(self.state.clone());
        // Webhook delivery runs while the server does.
        let webhooks = crate::webhooks::Worker::start(self.state.db.clone(), self.webhooks);
        // The peer address feeds the sign-in rate limit.
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("server error")?;
        webhooks.stop().await;
        self.state.db.close_by_ref().await.ok();
        Ok(())
    }
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
