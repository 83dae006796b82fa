//! `docs/chukan-fugou.md` says what the code does: every status word, the real message, the
//! 符号 length and prefix.

mod chukan_fugou_docs {
    use renkei_fixtures::ids::TougouAtenaBango;
    use renkei_simulator::chukan::fugou::{FugouError, FugouStatus, IssuanceDelay};
    use renkei_simulator::nws::{FUGOU_LEN, FUGOU_PREFIX};

    const DOC: &str = include_str!("../../docs/chukan-fugou.md");

    #[test]
    fn the_doc_names_every_status() {
        for label in FugouStatus::LABELS {
            assert!(DOC.contains(&format!("| {label} |")), "{label}");
        }
    }

    #[test]
    fn the_doc_quotes_the_real_message() {
        let message = FugouError::Mishutoku {
            tougou: TougouAtenaBango::from_number(1),
        }
        .to_string()
        .replace("000000000000001", "{団体内統合宛名番号}");
        assert!(DOC.contains(&message), "{message}");
    }

    #[test]
    fn the_doc_states_the_form_and_the_test_delay() {
        assert!(DOC.contains(&format!("{FUGOU_LEN} ASCII characters")));
        assert!(DOC.contains(&format!("{FUGOU_PREFIX} + upper-case hex")));
        assert_eq!(
            IssuanceDelay::TEST_ENVIRONMENT,
            IssuanceDelay::BusinessDays(7)
        );
        assert!(DOC.contains("`IssuanceDelay::TEST_ENVIRONMENT` is `BusinessDays(7)`"));
    }
}
