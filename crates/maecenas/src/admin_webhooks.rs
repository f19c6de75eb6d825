//! `maecenas admin webhooks …`: the delivery log (each delivery with every attempt) and resending
//! one delivery, straight from the database; a running server on it sends what is queued.

use maecenas_store::{
    Store, StoreError,
    entities::{delivery_attempt, webhook_delivery},
};
use serde::Serialize;

use crate::cli::WebhooksCommand;

/// One attempt, as printed.
#[derive(Debug, Serialize)]
struct AttemptOut {
    attempted_at: String,
    request_headers: serde_json::Value,
    response_status: Option<i64>,
    response_excerpt: String,
    error: Option<String>,
    latency_ms: i64,
}

/// One delivery, as printed.
#[derive(Debug, Serialize)]
struct DeliveryOut {
    id: i64,
    webhook_id: i64,
    event_id: i64,
    trigger: String,
    status: String,
    /// The Standard Webhooks `webhook-id`, stable across retries.
    message_id: String,
    created_at: String,
    delivered_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<serde_json::Value>,
    attempts: Vec<AttemptOut>,
}

fn out(
    d: webhook_delivery::Model,
    attempts: &[delivery_attempt::Model],
    body: bool,
) -> DeliveryOut {
    DeliveryOut {
        message_id: format!("msg_{}", d.id),
        id: d.id,
        webhook_id: d.webhook_id,
        event_id: d.event_id,
        trigger: d.trigger,
        status: d.status,
        created_at: d.created_at.to_rfc3339(),
        delivered_at: d.delivered_at.map(|t| t.to_rfc3339()),
        body: body.then(|| {
            serde_json::from_str(&d.body).unwrap_or(serde_json::Value::String(d.body.clone()))
        }),
        attempts: attempts
            .iter()
            .filter(|a| a.delivery_id == d.id)
            .map(|a| AttemptOut {
                attempted_at: a.attempted_at.to_rfc3339(),
                request_headers: serde_json::from_str(&a.request_headers)
                    .unwrap_or(serde_json::Value::Null),
                response_status: a.response_status,
                response_excerpt: a.response_excerpt.clone(),
                error: a.error.clone(),
                latency_ms: a.latency_ms,
            })
            .collect(),
    }
}

/// `maecenas admin webhooks …`.
pub async fn run(store: Store, command: WebhooksCommand) -> anyhow::Result<()> {
    match command {
        WebhooksCommand::Deliveries {
            webhook,
            limit,
            body,
            json,
        } => {
            if let Some(id) = webhook
                && store.webhook(id).await?.is_none()
            {
                anyhow::bail!("webhook: no webhook {id}");
            }
            let ids = webhook.map(|id| vec![id]);
            let deliveries = store
                .recent_deliveries(ids.as_deref(), limit.min(10_000))
                .await?;
            let delivery_ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
            let attempts = store.attempts_of(&delivery_ids).await?;
            let out: Vec<DeliveryOut> = deliveries
                .into_iter()
                .map(|d| out(d, &attempts, body || json.json))
                .collect();
            if json.json {
                println!("{}", serde_json::to_string(&out)?);
            } else {
                print_human(&out);
            }
        }
        WebhooksCommand::Resend { id } => match store.resend_delivery(id).await {
            Ok(()) => println!("Delivery {id} queued again (webhook-id msg_{id})."),
            Err(StoreError::NotFound) => anyhow::bail!("id: no delivery {id}"),
            Err(err) => return Err(err.into()),
        },
    }
    Ok(())
}

fn print_human(deliveries: &[DeliveryOut]) {
    for d in deliveries {
        println!(
            "{:>8}  webhook {:<6} {:<24} {:<10} {} attempt(s)  queued {}",
            d.id,
            d.webhook_id,
            d.trigger,
            d.status,
            d.attempts.len(),
            d.created_at
        );
        for a in &d.attempts {
            let answer = match (a.response_status, &a.error) {
                (Some(status), _) => status.to_string(),
                (None, Some(error)) => format!("error: {error}"),
                (None, None) => "no answer".to_owned(),
            };
            println!(
                "          {}  {answer}  {} ms",
                a.attempted_at, a.latency_ms
            );
            if !a.response_excerpt.is_empty() {
                let excerpt: String = a.response_excerpt.chars().take(120).collect();
                println!("            response: {}", excerpt.replace('\n', " "));
            }
        }
        if let Some(body) = &d.body {
            println!("          body: {body}");
        }
    }
    println!(
        "{} deliver{}",
        deliveries.len(),
        if deliveries.len() == 1 { "y" } else { "ies" }
    );
}
