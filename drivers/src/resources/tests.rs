//! Examples from the reference and every error text and exit code of §1.5 that the grammar
//! produces, for `select`, the `-l` list and the resource definitions.

use super::*;

fn select(s: &str) -> Select {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn list(items: &[&str]) -> ResourceList {
    ResourceList::parse(items).unwrap_or_else(|e| panic!("{items:?}: {e}"))
}

/// The error as PBS reports it: text and exit code.
fn report(result: Result<impl std::fmt::Debug, PbsError>) -> (String, u8) {
    let err = result.expect_err("expected an error");
    (err.to_string(), err.exit_code())
}

fn report_of(text: &str, exit: u8) -> (String, u8) {
    (text.to_string(), exit)
}

#[test]
fn palmetto_mpi_select() {
    let s = select("4:ncpus=2:mem=1gb:interconnect=1g:mpiprocs=2");
    assert_eq!(s.chunk_count(), 4);
    assert_eq!(s.total_count("ncpus"), 8);
    assert_eq!(s.total_count("mpiprocs"), 8);
    assert_eq!(s.total_kb("mem"), 4 * 1024 * 1024);
    assert_eq!(s.chunks[0].text_of("interconnect"), Some("1g"));
    assert_eq!(
        s.to_string(),
        "4:ncpus=2:mem=1gb:interconnect=1g:mpiprocs=2"
    );
}

#[test]
fn two_chunk_specs_and_default_count() {
    let s = select("ncpus=8:mem=1gb:interconnect=1g+2:ncpus=4");
    let expected = Select::new(vec![
        Chunk::new(1)
            .ncpus(8)
            .mem(Size::gb(1))
            .text("interconnect", "1g"),
        Chunk::new(2).ncpus(4),
    ]);
    assert_eq!(s, expected);
    assert_eq!(s.to_string(), "1:ncpus=8:mem=1gb:interconnect=1g+2:ncpus=4");
    assert_eq!(
        select("1:ncpus=8:mem=1gb:interconnect=1g+2:ncpus=4"),
        expected
    );
    assert_eq!(s.chunk_count(), 3);
    assert_eq!(s.total_count("ncpus"), 16);
}

#[test]
fn count_only_chunks_and_sizes_print_canonically() {
    assert_eq!(select("3").chunks, vec![Chunk::new(3)]);
    assert_eq!(select("3+ncpus=1").to_string(), "3+1:ncpus=1");
    assert_eq!(
        select("02:mem=16GB:vmem=4Kw").to_string(),
        "2:mem=16gb:vmem=4kw"
    );
    assert_eq!(select("ncpus=1:mem=100").to_string(), "1:ncpus=1:mem=100b");
}

#[test]
fn quoted_values() {
    let s = select("1:software='a:b+c=d':host=\"x,y\":arch=a=b");
    let chunk = &s.chunks[0];
    assert_eq!(chunk.text_of("software"), Some("a:b+c=d"));
    assert_eq!(chunk.text_of("host"), Some("x,y"));
    assert_eq!(chunk.text_of("arch"), Some("a=b"));
    assert_eq!(
        s.to_string(),
        "1:software=\"a:b+c=d\":host=\"x,y\":arch=\"a=b\""
    );
    let s = select("foo='say \"hi\"'");
    assert_eq!(s.chunks[0].text_of("foo"), Some("say \"hi\""));
    assert_eq!(s.to_string(), "1:foo='say \"hi\"'");
    assert_eq!(select("ncpus='4'").chunks[0].count_of("ncpus"), Some(4));
}

#[test]
fn select_syntax_errors() {
    for bad in [
        "",
        "+",
        "1+",
        "+1",
        "0",
        "0:ncpus=1",
        "4294967296:ncpus=1",
        "-1:ncpus=1",
        "1:",
        ":ncpus=1",
        "1::ncpus=1",
        "ncpus",
        "=1",
        "1:2",
        "2a:ncpus=1",
        "1:_x=1",
        "1:x=",
        "1:x='a",
        "1:x=a'b'",
        "1:x='a'b",
        "1:x=a b",
        "1 :ncpus=1",
        "1:x=\u{7}",
    ] {
        assert_eq!(
            report(bad.parse::<Select>()),
            report_of(
                "Illegal attribute or resource value Resource_List.select",
                166
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn select_typed_value_errors_name_the_resource() {
    for (bad, name) in [
        ("1:ncpus=two", "ncpus"),
        ("1:ncpus=1.5", "ncpus"),
        ("1:ngpus=-1", "ngpus"),
        ("1:mpiprocs=4294967296", "mpiprocs"),
        ("1:mem=1.5gb", "mem"),
        ("1:vmem=lots", "vmem"),
        ("1:ompthreads=\"\"", "ompthreads"),
    ] {
        let text = format!("Illegal attribute or resource value Resource_List.{name}");
        assert_eq!(report(bad.parse::<Select>()), (text, 166), "{bad:?}");
    }
}

#[test]
fn duplicated_resource_in_a_chunk() {
    assert_eq!(
        report("2:ncpus=1:mem=1gb:ncpus=2".parse::<Select>()),
        report_of(
            "duplicated resource within a section of a select specification, resource is: ncpus",
            12
        )
    );
    // The same name in different chunks is fine.
    assert!("1:ncpus=1+1:ncpus=2".parse::<Select>().is_ok());
}

#[test]
fn job_wide_resource_in_a_chunk() {
    for name in [
        "walltime",
        "cput",
        "place",
        "select",
        "nice",
        "soft_walltime",
        "min_walltime",
        "max_walltime",
    ] {
        assert_eq!(
            report(format!("1:ncpus=1:{name}=1").parse::<Select>()),
            (
                format!("Resource invalid in \"select\" specification: {name}"),
                4
            )
        );
    }
}

#[test]
fn palmetto_gpu_request() {
    let l = list(&["select=1:ncpus=4:mem=10gb:ngpus=1:gpu_model=k40,walltime=2:00:00"]);
    let chunk = &l.select.as_ref().expect("select").chunks[0];
    assert_eq!(chunk.count_of("ngpus"), Some(1));
    assert_eq!(chunk.size_of("mem"), Some(Size::gb(10)));
    assert_eq!(chunk.text_of("gpu_model"), Some("k40"));
    assert_eq!(l.walltime, Some(Walltime::from_hours(2)));
    assert_eq!(
        l.to_string(),
        "select=1:ncpus=4:mem=10gb:ngpus=1:gpu_model=k40,walltime=02:00:00"
    );
    assert_eq!(ResourceDefs::palmetto().check(&l), Ok(()));
    assert_eq!(
        report(ResourceDefs::builtin().check(&l)),
        report_of("Unknown resource: gpu_model", 187)
    );
}

#[test]
fn list_with_place_and_several_items() {
    let l = list(&[
        "select=2:ncpus=8+1:ncpus=4,walltime=1:00:00,place=scatter",
        "place=scatter:excl",
    ]);
    assert_eq!(l.place.as_ref().map(Place::is_exclusive), Some(true));
    assert_eq!(
        l.to_qsub_args(),
        [
            "-l",
            "select=2:ncpus=8+1:ncpus=4",
            "-l",
            "place=scatter:excl",
            "-l",
            "walltime=01:00:00"
        ]
    );
    assert_eq!(
        ResourceList::parse(&[]).map(|l| l.to_qsub_args()),
        Ok(vec![])
    );
}

#[test]
fn last_occurrence_wins_within_one_parse() {
    let l = list(&[
        "cput=10,software=a",
        "walltime=1:00,cput=20",
        "walltime=90:00",
    ]);
    assert_eq!(l.walltime, Some(Walltime::from_secs(5400)));
    assert_eq!(
        l.other,
        vec![
            ("cput".into(), "20".into()),
            ("software".into(), "a".into())
        ]
    );
}

#[test]
fn old_style_requests_without_select() {
    let l = list(&["ncpus=4,mem=2GB", "nodes=2:ppn=4"]);
    assert_eq!(l.get_other("mem"), Some("2GB"));
    assert_eq!(l.to_string(), "ncpus=4,mem=2GB,nodes=2:ppn=4");
    assert_eq!(ResourceDefs::builtin().check(&l), Ok(()));
}

#[test]
fn commas_inside_quotes_do_not_split() {
    let l = list(&["select=1:software=\"a,b\":ncpus=1,software='x,y z'"]);
    assert_eq!(
        l.select.as_ref().map(|s| s.chunks[0].text_of("software")),
        Some(Some("a,b"))
    );
    assert_eq!(l.get_other("software"), Some("x,y z"));
    assert_eq!(
        l.to_string(),
        "select=1:software=\"a,b\":ncpus=1,software=\"x,y z\""
    );
}

#[test]
fn list_errors() {
    let cases: [(&[&str], &str, u8); 14] = [
        (
            &["select=1:ncpus=1", "ncpus=4"],
            "\"-lresource=\" cannot be used with \"select\" or \"place\", resource is: ncpus",
            5,
        ),
        (
            &["mem=1gb,select=1:ncpus=1"],
            "\"-lresource=\" cannot be used with \"select\" or \"place\", resource is: mem",
            5,
        ),
        (
            &["select=1:ncpus=1,nodes=2"],
            "Cannot be used with select or place: nodes",
            6,
        ),
        (
            &["place=scatter,nodes=2"],
            "Cannot be used with select or place: nodes",
            6,
        ),
        (
            &["place=scatter"],
            "Cannot have \"place\" without \"select\"",
            7,
        ),
        (
            &["walltime=abc"],
            "Illegal attribute or resource value Resource_List.walltime",
            166,
        ),
        (
            &["mem=1.5gb"],
            "Illegal attribute or resource value Resource_List.mem",
            166,
        ),
        (
            &["cput=1:2:3:4"],
            "Illegal attribute or resource value Resource_List.cput",
            166,
        ),
        (
            &["ncpus=x"],
            "Illegal attribute or resource value Resource_List.ncpus",
            166,
        ),
        (
            &["select=1:ncpus=1,place=spread"],
            "Illegal attribute or resource value Resource_List.place",
            166,
        ),
        (
            &["select=1:ncpus"],
            "Illegal attribute or resource value Resource_List.select",
            166,
        ),
        (
            &["select=1:walltime=1"],
            "Resource invalid in \"select\" specification: walltime",
            4,
        ),
        (
            &["foo"],
            "Illegal attribute or resource value Resource_List.foo",
            166,
        ),
        (
            &["foo='a"],
            "Illegal attribute or resource value Resource_List.foo",
            166,
        ),
    ];
    for (items, text, exit) in cases {
        assert_eq!(
            report(ResourceList::parse(items)),
            report_of(text, exit),
            "{items:?}"
        );
    }
    for bad in ["", "a=1,", ",a=1", "1a=2", "a=b c", "a=", "a='x'y"] {
        assert!(ResourceList::parse(&[bad]).is_err(), "{bad:?}");
    }
}

#[test]
fn validate_rejects_what_cannot_round_trip() {
    let bad_selects = [
        Select::new(vec![]),
        Select::new(vec![Chunk::new(0).ncpus(1)]),
        Select::new(vec![Chunk::new(1).text("ncpus", "4")]),
        Select::new(vec![Chunk::new(1).with("foo", ResourceValue::Count(4))]),
        Select::new(vec![Chunk::new(1).text("foo", "it's \"x\"")]),
        Select::new(vec![Chunk::new(1).text("foo", "a\nb")]),
        Select::new(vec![Chunk::new(1).text("1x", "a")]),
        Select::new(vec![Chunk::new(1).text("walltime", "1")]),
    ];
    for s in bad_selects {
        assert!(s.validate().is_err(), "{s:?}");
    }
    let mut l = list(&["select=1:ncpus=1"]);
    l.other.push(("walltime".into(), "1".into()));
    assert!(l.validate().is_err());
    let bad_place = Place {
        group: Some("a b".into()),
        ..Place::default()
    };
    assert!(bad_place.validate().is_err());
}
