//! Property: for any set of cost rows (amounts with up to 16 decimals, some in scientific
//! notation), the billed total reconciles with the input to the cent, and identical files
//! count once.

use crate::common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

const HEADER: &str = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name";

fn amount() -> impl Strategy<Value = (Decimal, String)> {
    (0i64..10_000_000_000_000_000, 0u32..17, any::<bool>()).prop_map(|(mantissa, scale, sci)| {
        // At most $1M a row: the mantissa is capped at 10^(scale + 6).
        let cap = 10i64.pow((scale + 6).min(18));
        let d = Decimal::new(mantissa % cap, scale);
        let text = if sci && !d.is_zero() {
            format!("{:e}", d)
        } else {
            d.to_string()
        };
        (d, text)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn billed_totals_reconcile_to_the_cent(amounts in proptest::collection::vec(amount(), 1..40), duplicate in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = format!("{HEADER}\n");
        for (i, (_, a)) in amounts.iter().enumerate() {
            text.push_str(&format!("{},{},x,y,{a},usd,\"gpt-4.1, input\",proj,org,Org\n", 1_790_812_800 + (i as i64 % 28) * 86_400, 1_790_899_200 + (i as i64 % 28) * 86_400));
        }
        write(dir.path(), "cost.csv", &text);
        if duplicate {
            write(dir.path(), "copy/cost (1).csv", &text);
        }
        let (rows, outcome) = ingest_rows(dir.path());
        prop_assert!(outcome.rejects.is_empty(), "{:?}", outcome.rejects);
        let expected: Decimal = amounts.iter().map(|(d, _)| *d).sum();
        let got: i128 = rows.iter().filter_map(|r| r.billed_cost_nano).map(i128::from).sum();
        let got_cents = spend_audit::money::nanos_to_cents(got);
        prop_assert_eq!(got_cents as i64, dec_cents(expected));
    }
}
