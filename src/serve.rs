//! `hdnd serve`: migrations, demo data, then the web server, the delivery worker, the
//! scheduler and, with Telegram on, the Telegram transport (the poller, or the webhook route
//! and its `setWebhook`; either way the command menus, under one leader lease), with mail
//! coming in, the SMTP listener and the IMAP poller (under its own lease), and the inbound
//! worker, until SIGINT or SIGTERM.
//!
//! On a signal the server stops accepting connections and lets requests in flight finish
//! (for at most `web.shutdown_grace_secs`), the workers finish what they hold, the poller
//! releases its lease for a standby, then the process exits 0.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use hdnd_bot::api::BotApi;
use hdnd_bot::menu;
use hdnd_bot::poller::{self, Poller};
use hdnd_bot::{TelegramChannel, TelegramHandler, TelegramSettings};
use hdnd_hub::Hub;
use hdnd_hub::delivery::Channel;
use hdnd_hub::delivery::email::EmailChannel;
use hdnd_hub::delivery::worker::Worker;
use hdnd_hub::domain::InboundSource;
use hdnd_hub::inbound::{InboundWorker, TelegramWebhook};
use hdnd_hub::leader::Leader;
use hdnd_hub::schedule::Scheduler;
use hdnd_mail::MailHandler;
use hdnd_mail::imap::{self, ImapPoller};
use hdnd_mail::listener::SmtpListener;
use tokio::task::JoinHandle;

use crate::commands::{Service, open_service};
use crate::settings::Settings;

pub(crate) async fn run(settings: Settings) -> anyhow::Result<()> {
    let Service {
        hub,
        views,
        renderer,
        blobs,
    } = open_service(&settings).await?;
    let profile = hub.profile();
    for warning in profile.calendar_warnings(profile.local_date(hub.clock().now())) {
        tracing::warn!("council profile: {warning}");
    }
    if settings.demo() && hub.store().count_cases(&Default::default()).await? == 0 {
        crate::demo::seed(&hub, &settings.database)
            .await
            .context("cannot seed the demo data")?;
    }
    let address = SocketAddr::new(settings.web.host, settings.web.port);
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr()?;
    let store = hub.store().clone();
    let mut email =
        EmailChannel::new(&settings.email).context("cannot set up the email channel")?;
    if let Some(mailbox) = &settings.email.mailbox {
        email = email.with_bounces(hub.mail_key(), mailbox);
    }
    let mut channels: Vec<Arc<dyn Channel>> = vec![Arc::new(email)];
    match TelegramChannel::new(&settings.telegram).context("cannot set up the Telegram channel")? {
        Some(telegram) => {
            tracing::info!("Telegram is on: notifications go out through the Bot API");
            channels.push(Arc::new(telegram.with_topics(hub.clone())));
        }
        None => tracing::info!("Telegram is off: no telegram.token is set"),
    }
    let worker = Worker::new(store.clone(), channels, settings.delivery.clone());
    let (stop_workers, workers_stopped) = watch::channel(false);
    let delivery = tokio::spawn(worker.run_until_stopped(workers_stopped.clone()));
    let mut schedule = settings.schedule.clone();
    schedule.message_id_domain = settings.email.message_id_domain.clone();
    let scheduler = Scheduler::new(
        hub.clone(),
        renderer.clone(),
        schedule,
        &settings.web.public_url,
    )?
    .with_inbound_retention(settings.inbound.retention_days)
    .with_files(blobs, settings.files.orphan_grace());
    let scheduling = tokio::spawn(scheduler.run_until_stopped(workers_stopped.clone()));
    let mut tasks = vec![(delivery, "delivery worker"), (scheduling, "scheduler")];
    // One inbound worker for every source that is on: a transport's `receive` wakes the very
    // worker that processes the row.
    let mut inbound = InboundWorker::new(store.clone(), settings.inbound.clone());
    let telegram_api = match settings.telegram.enabled() {
        true => Some(
            BotApi::new(&settings.telegram)
                .context("cannot set up the Telegram Bot API")?
                .context("Telegram is on without a token")?,
        ),
        false => None,
    };
    if let Some(api) = &telegram_api {
        let telegram_handler = Arc::new(
            TelegramHandler::new(hub.clone(), renderer.clone())
                .with_flood_limit(settings.telegram.flood_per_minute)
                .with_staff_group(settings.telegram.staff_group)
                .with_api(api.clone()),
        );
        inbound = inbound.with_handler(InboundSource::Telegram, telegram_handler);
    }
    let mail_in = &settings.email.inbound;
    if let (true, Some(mailbox)) = (mail_in.enabled(), &settings.email.mailbox) {
        let mut handler = MailHandler::new(
            hub.clone(),
            renderer.clone(),
            mailbox,
            &settings.email.message_id_domain,
        )
        .with_acknowledgements_per_hour(mail_in.acknowledgements_per_hour)
        .with_public_url(&settings.web.public_url);
        if let Some(from) = settings.email.from_address() {
            handler = handler.with_own_address(&from);
        }
        inbound = inbound.with_handler(InboundSource::Email, Arc::new(handler));
    }
    let mut telegram_webhook = None;
    if let Some(api) = telegram_api {
        let telegram = start_telegram(
            &settings.telegram,
            api,
            hub.clone(),
            inbound.clone(),
            &workers_stopped,
        )?;
        tasks.extend(telegram.tasks);
        telegram_webhook = telegram.webhook;
    }
    if let Some(listen) = mail_in.smtp_listen {
        let listener = SmtpListener::bind(
            listen,
            inbound.clone(),
            usize::try_from(mail_in.max_message_bytes).unwrap_or(usize::MAX),
            &settings.email.message_id_domain,
        )
        .await
        .with_context(|| format!("cannot listen for mail on {listen}"))?;
        let local = listener.local_addr()?;
        println!("hdnd: mail in at smtp://{local}");
        tracing::info!(smtp.address = %local, "taking mail by SMTP on {local}");
        tasks.push((
            tokio::spawn(listener.run_until_stopped(workers_stopped.clone())),
            "SMTP listener",
        ));
    }
    if let Some(imap) = &mail_in.imap {
        let poller = ImapPoller::new(imap, inbound.clone(), mail_in.max_message_bytes);
        tracing::info!(
            "taking mail over IMAP from {}, from the one instance that holds the lease {}",
            poller.describe(),
            imap::LEASE_NAME
        );
        let leader = Leader::new(
            store.clone(),
            imap::LEASE_NAME,
            Duration::from_millis(imap.leader_renew_ms),
        );
        tasks.push((
            tokio::spawn(
                leader.run_until_stopped(workers_stopped.clone(), move |leadership| {
                    poller.clone().run_until_lost(leadership)
                }),
            ),
            "IMAP poller",
        ));
    }
    if settings.telegram.enabled() || mail_in.enabled() {
        let processing = tokio::spawn(inbound.run_until_stopped(workers_stopped.clone()));
        tasks.push((processing, "inbound worker"));
    }
    let app = hdnd_web::router(hdnd_web::AppState {
        hub,
        views,
        telegram_webhook,
        public_url: Some(settings.web.public_url.clone()),
        telegram_bot: settings.telegram.username().map(str::to_owned),
        metrics: settings.web.metrics_access(),
    });

    // Listening for SIGTERM before the portal is announced: a signal sent as soon as it is
    // up must stop it gracefully, not kill it (the default action, until a handler exists).
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    // The line tests and people look for.
    println!("hdnd: portal at http://{local}/");
    tracing::info!(http.address = %local, "portal at http://{local}/");

    let (stopping, mut stopped) = watch::channel(false);
    // A streamed body (a feed, a file) is not held back by Nagle's algorithm.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal(terminate).await;
            let _ = stopping.send(true);
        })
        .into_future();
    let grace = Duration::from_secs(settings.web.shutdown_grace_secs);
    tokio::select! {
        result = server => result.context("the web server failed")?,
        _ = async {
            let _ = stopped.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!("requests still running after {}s; stopping anyway", grace.as_secs()),
    }
    // The worker finishes the batch in hand; what it does not finish, its lease returns to
    // the queue.
    let _ = stop_workers.send(true);
    for (task, name) in tasks {
        if let Err(e) = task.await {
            tracing::error!(error.message = %e, "the {name} panicked");
        }
    }
    // Closing the pool lets SQLite checkpoint its WAL into the database file.
    store.close().await;
    tracing::info!("hdnd stopped cleanly");
    Ok(())
}

/// What [`start_telegram`] started.
struct TelegramStarted {
    tasks: Vec<(JoinHandle<()>, &'static str)>,
    /// For the portal's webhook route, in webhook mode.
    webhook: Option<TelegramWebhook>,
}

/// Starts the Telegram transport, storing updates through `worker`. The instance holding the lease [`poller::LEASE_NAME`] sets the command menus
/// (the citizens', and each linked staff chat's, read when it takes the lease) and either
/// polls or sets the webhook; in webhook mode every instance serves the route.
fn start_telegram(
    telegram: &TelegramSettings,
    api: BotApi,
    hub: Hub,
    worker: InboundWorker,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<TelegramStarted> {
    let store = hub.store().clone();
    let leader = Leader::new(
        store,
        poller::LEASE_NAME,
        Duration::from_millis(telegram.leader_renew_ms),
    );
    let mut started = TelegramStarted {
        tasks: Vec::new(),
        webhook: None,
    };
    let leading = match telegram.webhook() {
        Some(webhook) => {
            started.webhook = Some(TelegramWebhook::new(
                api.bot_id(),
                webhook.path(),
                &webhook.secret,
                worker.clone(),
            ));
            tracing::info!(
                "Telegram updates come by webhook at {}; the instance that holds the lease {} sets it",
                webhook.path(),
                poller::LEASE_NAME
            );
            tokio::spawn(leader.run_until_stopped(stop.clone(), move |leadership| {
                let (api, webhook, hub) = (api.clone(), webhook.clone(), hub.clone());
                async move {
                    // The menus do not wait for the webhook, nor the webhook for the menus.
                    tokio::join!(
                        menu::set_all(&api, &hub),
                        hdnd_bot::webhook::set_until_lost(api.clone(), webhook, leadership),
                    );
                }
            }))
        }
        None => {
            let poller = Poller::new(telegram, worker.clone())
                .context("cannot set up the Telegram poller")?
                .context("the Telegram poller needs a token")?;
            tracing::info!(
                "Telegram updates come by long polling, from the one instance that holds the lease {}",
                poller::LEASE_NAME
            );
            tokio::spawn(leader.run_until_stopped(stop.clone(), move |leadership| {
                let (api, poller, hub) = (api.clone(), poller.clone(), hub.clone());
                async move {
                    tokio::join!(menu::set_all(&api, &hub), poller.run_until_lost(leadership));
                }
            }))
        }
    };
    started.tasks.push((leading, "Telegram transport"));
    Ok(started)
}

async fn shutdown_signal(terminate: std::io::Result<tokio::signal::unix::Signal>) {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match terminate {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error.message = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received; finishing requests in flight"),
        () = terminate => tracing::info!("SIGTERM received; finishing requests in flight"),
    }
}
