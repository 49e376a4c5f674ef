//! Tests of the file table: names, released texts and their positions.

use super::*;

#[test]
fn line_and_column_count_characters() {
    let map = SourceMap::new();
    let id = map.add("a.vmx", FileKind::Vmx, "é = \"1\"\nmemSize = \"4\"\n");
    let f = map.get(id);
    assert_eq!(f.line_col(0), (1, 1));
    assert_eq!(f.line_col(3), (1, 3));
    // `é` is two bytes: line 2 starts at byte 9
    assert_eq!(f.line_col(9), (2, 1));
    assert_eq!(f.line_range(2), Some(9..22));
}

#[test]
fn a_released_text_is_read_again_when_asked_for() {
    fn reader(path: &Path, _: FileKind, _: u64) -> Option<String> {
        Some(format!("again: {}", path.display()))
    }
    let map = SourceMap::with_reader(reader);
    let id = map.add("a.vmx", FileKind::Vmx, "first");
    map.release(id, true);
    assert_eq!(map.name(id), "a.vmx", "the name needs no text");
    assert_eq!(&*map.get(id).text, "again: a.vmx");
    // without a reader, nothing is released
    let plain = SourceMap::new();
    let id = plain.add("b.vmx", FileKind::Vmx, "kept");
    plain.release(id, true);
    assert_eq!(&*plain.get(id).text, "kept");
}

#[test]
fn positions_asked_after_a_release_come_from_one_reading_again() {
    fn from_disk(p: &Path, _: FileKind, _: u64) -> Option<String> {
        std::fs::read_to_string(p).ok()
    }
    let dir = std::env::temp_dir().join(format!("vmlint-positions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.vmx");
    let text = "a = \"1\"\nmemSize = \"4\"\n";
    std::fs::write(&path, text).unwrap();
    let map = SourceMap::with_reader(from_disk);
    let id = map.add(&path, FileKind::Vmx, text);
    let other = map.add(dir.join("gone.vmx"), FileKind::Vmx, "x = \"1\"\n");
    // released with no findings yet: no line table
    map.release(id, false);
    map.release(other, false);
    map.keep_positions(&[id, other]);
    // the table made from the file read again answers from now on,
    // whatever the file becomes
    std::fs::write(&path, "").unwrap();
    assert_eq!(map.line_col(id, 8), (2, 1));
    assert_eq!(map.position(Span::new(id, 8, 21)), ((2, 1), (2, 14)));
    // a file that cannot be read again keeps none, and reads as empty
    assert_eq!(map.line_col(other, 4), (1, 1));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_released_ascii_text_keeps_its_positions_without_being_read_again() {
    fn reader(_: &Path, _: FileKind, _: u64) -> Option<String> {
        Some("read again: \u{e9}\n".to_string())
    }
    let map = SourceMap::with_reader(reader);
    let id = map.add("a.vmx", FileKind::Vmx, "a = \"1\"\nmemSize = \"4\"\n");
    map.release(id, true);
    // the line table kept answers; the reader's text would say line 1
    assert_eq!(map.line_col(id, 8), (2, 1));
    assert_eq!(map.position(Span::new(id, 8, 21)), ((2, 1), (2, 14)));
    assert_eq!(map.position(Span::new(id, 90, 99)), ((3, 1), (3, 1)));
    // the ends of a text, with and without a final newline
    for (text, at, want) in [
        ("a\nb\n", 4, (3, 1)),
        ("a\nb", 3, (2, 2)),
        ("", 0, (1, 1)),
        ("a\nb", 1, (1, 2)),
    ] {
        let id = map.add("c.vmx", FileKind::Vmx, text);
        let kept = map.get(id).line_col(at);
        map.release(id, true);
        assert_eq!(map.line_col(id, at), want, "{text:?} at {at}");
        assert_eq!(kept, want, "{text:?} at {at}");
    }
    // a text with other characters is read again for its columns
    let id = map.add("b.vmx", FileKind::Vmx, "\u{e9} = \"1\"\n");
    map.release(id, true);
    assert_eq!(map.line_col(id, 14), (1, 14));
    assert_eq!(&*map.get(id).text, "read again: \u{e9}\n");
}

#[test]
fn spans_are_clamped_to_the_text_and_char_boundaries() {
    let map = SourceMap::new();
    let id = map.add("a", FileKind::Vmx, "é");
    let f = map.get(id);
    assert_eq!(f.clamp(Span::new(id, 1, 99)), 0..2);
    assert_eq!(f.clamp(Span::new(id, 50, 60)), 2..2);
}

#[test]
fn a_name_is_the_path_below_the_root_or_the_path_itself() {
    let map = SourceMap::new();
    map.set_root(Path::new("/repo"));
    let below = map.add("/repo/vms/a.vmx", FileKind::Vmx, "");
    let root = map.add("/repo", FileKind::Vmx, "");
    let outside = map.add("/srv/b.vmx", FileKind::Vmx, "");
    let relative = map.add("c.vmx", FileKind::Vmx, "");
    assert_eq!(map.name(below), "vms/a.vmx");
    assert_eq!(map.get(below).name(), "vms/a.vmx");
    assert_eq!(map.name(root), ".");
    assert_eq!(map.name(outside), "/srv/b.vmx");
    assert_eq!(map.name(relative), "c.vmx");
    assert_eq!(
        SourceFile::new(PathBuf::from("d/e.yaml"), FileKind::Yaml, Arc::from("")).name(),
        "d/e.yaml"
    );
}

#[test]
fn a_file_that_grew_past_the_limit_is_not_read_again() {
    let dir = std::env::temp_dir().join(format!("vmlint-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.vmx");
    std::fs::write(&path, "a = \"1\"\n").unwrap();
    let map = SourceMap::with_reader(crate::engine::reread);
    map.set_limit(16);
    let id = map.add(&path, FileKind::Vmx, "a = \"1\"\n");
    map.release(id, false);
    std::fs::write(&path, "b = \"2\"\n").unwrap();
    assert_eq!(&*map.get(id).text, "b = \"2\"\n");
    // what is read again is held to the run's max_file_size
    std::fs::write(&path, "x".repeat(64)).unwrap();
    // (another file read again in between: the last one read is kept)
    let other = map.add(dir.join("b.vmx"), FileKind::Vmx, "");
    map.release(other, false);
    map.get(other);
    assert_eq!(&*map.get(id).text, "");
    std::fs::remove_dir_all(&dir).unwrap();
}
