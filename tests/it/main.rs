mod helpers;
mod http;
mod identity_canary;
mod outbox;
mod portal;
mod processes;
mod serve;
mod storage_contract;
