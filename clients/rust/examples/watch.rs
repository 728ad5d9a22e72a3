//! Prints the last backup time of every table as it changes.
//!
//! usage: cargo run -p tablesafe-client --example watch [URL]   (token from TABLESAFE_TOKEN)

use tablesafe_client::proto::event::Payload;
use tablesafe_client::{Client, WatchOptions};
use tokio_stream::StreamExt;

async fn print_all(client: &Client) -> Result<(), tablesafe_client::Error> {
    for table in client.get_health(false).await?.tables {
        let at = table
            .last_backup_at
            .map_or("never".to_owned(), |t| t.to_string());
        println!("{}: last backup {at}", table.name);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), tablesafe_client::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:50051".into());
    let token = std::env::var("TABLESAFE_TOKEN").ok();
    let client = Client::connect_lazy(&url, token.as_deref())?;
    print_all(&client).await?;
    let mut events = client.watch(WatchOptions::default());
    while let Some(event) = events.next().await {
        match event?.payload {
            Some(Payload::TableBackedUp(t)) => {
                let at = t.captured_at.map(|t| t.to_string()).unwrap_or_default();
                println!("{}: last backup {at} ({})", t.table, t.file_name);
            }
            Some(Payload::ResyncRequired(_)) => print_all(&client).await?,
            _ => {}
        }
    }
    Ok(())
}
