//! OpenAI dashboard usage export (`completions_usage_<from>_<to>.csv`).
//!
//! Columns (research/formats.md §1c): `start_time,end_time,start_time_iso,end_time_iso,
//! project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,
//! output_tokens,input_cached_tokens,input_uncached_tokens,…`. Counts are written as floats.
//!
//! Trap: `input_tokens` **includes** cached and cache-write tokens. The uncached input is
//! `input_tokens - input_cached_tokens - input_cache_write_tokens`; pricing `input_tokens` at the
//! full input rate would overcharge every cached token. It also counts audio and image tokens,
//! which have their own rates; [`usage_parts`] splits them out.

use super::{push_parts, Format, Part, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole, ServiceTier};

pub struct OpenAiUsageCsv;

/// The audio and image counts of one usage record: `input_audio_tokens` (2024-12),
/// `input_cached_audio_tokens`, `output_audio_tokens` and the image three (2026-07).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Media {
    pub audio_in: f64,
    pub audio_cached: f64,
    pub audio_out: f64,
    pub image_in: f64,
    pub image_cached: f64,
    pub image_out: f64,
}

/// The columns [`Media`] is read from, in its field order.
pub(super) const MEDIA_COLUMNS: [&str; 6] = [
    "input_audio_tokens",
    "input_cached_audio_tokens",
    "output_audio_tokens",
    "input_image_tokens",
    "input_cached_image_tokens",
    "output_image_tokens",
];

impl Media {
    /// Reads the six counts with `count` (a CSV cell or a JSON field; absent is zero).
    pub fn read(
        mut count: impl FnMut(&'static str) -> Result<f64, RowError>,
    ) -> Result<Media, RowError> {
        let [a, b, c, d, e, f] = MEDIA_COLUMNS;
        Ok(Media {
            audio_in: count(a)?,
            audio_cached: count(b)?,
            audio_out: count(c)?,
            image_in: count(d)?,
            image_cached: count(e)?,
            image_out: count(f)?,
        })
    }
}

/// The ledger parts of one OpenAI usage record (CSV export or Admin API).
///
/// `input_tokens` and `output_tokens` count every modality, and `input_tokens` includes cached
/// and cache-write tokens; text is what remains after the audio and image counts. Before
/// 2026-07 `input_audio_tokens` included cached audio, which the export did not split out:
/// the cached tokens are taken as text unless the counts cannot add up that way, and then the
/// shortfall is cached audio. Token totals are kept either way.
pub(super) fn usage_parts(
    input: f64,
    cached: f64,
    cache_write: f64,
    output: f64,
    requests: f64,
    media: Media,
) -> Result<Vec<Part>, RowError> {
    if cached + cache_write > input {
        return Err(RowError::new(
            Some("input_cached_tokens"),
            format!(
                "cached ({cached}) plus cache-write ({cache_write}) tokens exceed `input_tokens` ({input}); OpenAI's input count includes them"
            ),
        ));
    }
    let mut audio_in = media.audio_in;
    let mut audio_cached = media.audio_cached;
    let mut text_in = input - cached - cache_write - audio_in - media.image_in;
    if text_in < 0.0 {
        // The older export's `input_audio_tokens` counted cached audio too.
        let shift = (-text_in).min(audio_in);
        audio_in -= shift;
        audio_cached += shift;
        text_in += shift;
    }
    let text_cached = cached - audio_cached - media.image_cached;
    let text_out = output - media.audio_out - media.image_out;
    for (value, column, total) in [
        (text_in, "input_audio_tokens", "input_tokens"),
        (
            text_cached,
            "input_cached_audio_tokens",
            "input_cached_tokens",
        ),
        (text_out, "output_audio_tokens", "output_tokens"),
    ] {
        if value < 0.0 {
            return Err(RowError::new(
                Some(column),
                format!(
                    "the audio and image counts exceed `{total}`, which counts every modality; check the export's columns"
                ),
            ));
        }
    }
    Ok(vec![
        (ChargeKind::Input, None, text_in, "tokens"),
        (ChargeKind::CachedInput, None, text_cached, "tokens"),
        (ChargeKind::CacheWrite, None, cache_write, "tokens"),
        (ChargeKind::Output, None, text_out, "tokens"),
        (ChargeKind::AudioInput, None, audio_in, "tokens"),
        (ChargeKind::AudioCachedInput, None, audio_cached, "tokens"),
        (ChargeKind::AudioOutput, None, media.audio_out, "tokens"),
        (ChargeKind::ImageInput, None, media.image_in, "tokens"),
        (
            ChargeKind::ImageCachedInput,
            None,
            media.image_cached,
            "tokens",
        ),
        (ChargeKind::ImageOutput, None, media.image_out, "tokens"),
        (ChargeKind::Request, None, requests, "requests"),
    ])
}

impl Format for OpenAiUsageCsv {
    fn id(&self) -> &'static str {
        "openai_usage_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &[
            "start_time",
            "end_time",
            "num_model_requests",
            "input_tokens",
            "output_tokens",
        ]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "start_time",
            "end_time",
            "project_id",
            "num_model_requests",
            "user_id",
            "api_key_id",
            "model",
            "batch",
            "service_tier",
            "input_tokens",
            "output_tokens",
            "input_cached_tokens",
            "input_cache_write_tokens",
            "organization_id",
            "input_audio_tokens",
            "input_cached_audio_tokens",
            "output_audio_tokens",
            "input_image_tokens",
            "input_cached_image_tokens",
            "output_image_tokens",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = row.timestamp("start_time")?;
        let end = row.timestamp("end_time")?;
        let input = row.count("input_tokens")?;
        let cached = row.count("input_cached_tokens")?;
        let cache_write = row.count("input_cache_write_tokens")?;
        let output = row.count("output_tokens")?;
        let requests = row.count("num_model_requests")?;
        let tier = if row.bool("batch")? {
            ServiceTier::Batch
        } else {
            let raw = row.get("service_tier").unwrap_or("default");
            ServiceTier::from_export(raw).ok_or_else(|| {
                RowError::new(
                    Some("service_tier"),
                    format!("unknown service tier `{raw}`"),
                )
            })?
        };
        let base = {
            let mut r = LedgerRow::new(
                "openai",
                RecordRole::Usage,
                ChargeKind::Input,
                start,
                end,
                src.file,
                src.line,
            );
            r.billing_account = row.text("organization_id");
            r.sub_account = row.text("project_id");
            r.api_key = row.text("api_key_id");
            r.model_raw = row.text("model");
            r.service_tier = tier;
            r
        };
        push_parts(
            &base,
            usage_parts(
                input,
                cached,
                cache_write,
                output,
                requests,
                Media::read(|c| row.count(c))?,
            )?,
            out,
        );
        Ok(RowFate::Ledger)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantities(parts: &[Part]) -> Vec<(&'static str, f64)> {
        parts
            .iter()
            .filter(|p| p.2 > 0.0)
            .map(|p| (p.0.as_str(), p.2))
            .collect()
    }

    #[test]
    fn audio_and_image_tokens_are_split_out_of_the_totals() {
        // 2026-07 layout: 1,000 input of which 100 cached text + 50 cached audio, 20 cache
        // write, 300 uncached audio, 80 image; 500 output of which 200 audio.
        let media = Media {
            audio_in: 300.0,
            audio_cached: 50.0,
            audio_out: 200.0,
            image_in: 80.0,
            ..Media::default()
        };
        let parts = usage_parts(1000.0, 150.0, 20.0, 500.0, 3.0, media).unwrap();
        assert_eq!(
            quantities(&parts),
            vec![
                ("input", 450.0),
                ("cached_input", 100.0),
                ("cache_write", 20.0),
                ("output", 300.0),
                ("audio_input", 300.0),
                ("audio_cached_input", 50.0),
                ("audio_output", 200.0),
                ("image_input", 80.0),
                ("request", 3.0),
            ]
        );
        let tokens: f64 = parts.iter().filter(|p| p.3 == "tokens").map(|p| p.2).sum();
        assert_eq!(tokens, 1500.0, "every input and output token is kept");
    }

    #[test]
    fn the_older_audio_count_that_included_cached_audio_keeps_the_totals() {
        // Before 2026-07: 1,000 input, 400 cached, 700 audio (cached audio inside both).
        let media = Media {
            audio_in: 700.0,
            ..Media::default()
        };
        let parts = usage_parts(1000.0, 400.0, 0.0, 10.0, 1.0, media).unwrap();
        assert_eq!(
            quantities(&parts),
            vec![
                ("cached_input", 300.0),
                ("output", 10.0),
                ("audio_input", 600.0),
                ("audio_cached_input", 100.0),
                ("request", 1.0),
            ]
        );
    }

    #[test]
    fn media_counts_larger_than_the_total_are_rejected_by_column() {
        let media = Media {
            audio_out: 600.0,
            ..Media::default()
        };
        let err = usage_parts(10.0, 0.0, 0.0, 500.0, 1.0, media).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("output_audio_tokens"));
        assert!(err.reason.contains("`output_tokens`"), "{}", err.reason);
    }
}
