//! `docs/jukinet-formats.md` and the code cannot drift: every table a vendor implements against
//! is rendered from the definitions the code uses, and the page must hold each rendering verbatim.

mod jukinet {
    use renkei_simulator::jukinet::docs::{example_file, sections};
    use renkei_simulator::jukinet::{
        HoninKakuninJoho, read_exceptions, read_fixed, restore, write_fixed,
    };

    fn page() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/jukinet-formats.md");
        std::fs::read_to_string(path).expect("docs/jukinet-formats.md exists")
    }

    #[test]
    fn the_page_holds_every_generated_section() {
        let page = page();
        let missing: Vec<String> = sections()
            .into_iter()
            .filter(|(_, text)| !page.contains(text.as_str()))
            .map(|(name, text)| format!("==== {name} ====\n{text}"))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/jukinet-formats.md に次の生成テキストがありません (そのまま貼り付けてください):\n\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn the_page_says_the_formats_are_renkei_defined() {
        let page = page();
        for claim in [
            "renkei が定めた形式",
            "既存住基システム改造仕様書",
            "公開されていません",
            "合成データ",
        ] {
            assert!(page.contains(claim), "「{claim}」がありません");
        }
    }

    #[test]
    fn the_worked_example_restores_to_its_original() {
        let file = example_file();
        let out = write_fixed(&file).unwrap();
        let read = read_fixed::<HoninKakuninJoho>(&out.data).unwrap();
        assert_eq!(read.records[0].shimei, "〓田　花子");
        let exceptions = read_exceptions(out.exceptions_csv().as_bytes()).unwrap();
        assert_eq!(exceptions.len(), 3);
        assert_eq!(restore(&read, &exceptions).unwrap(), file);
    }
}
