/** The library's fuzzy search (fzf's ranking) and its artist -> album -> song tree, and the keys that move in it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuzzyMatch, matchFields, queryTerms } from '../../tui/state/fuzzy.js';
import { searchRows, treeRows, type LibraryRow } from '../../tui/state/library-tree.js';
import { keyToAction } from '../../tui/state/keys.js';
import { initialState, type PlayerState } from '../../tui/state/model.js';
import { applyAction } from '../../tui/state/update.js';
import { song } from '../helpers/songs.js';
import { libraryRows, songInfoLines } from '../../tui/state/selectors.js';

const label = (row: LibraryRow): string =>
  row.kind === 'song' ? `  ${row.song.title}` : `${row.kind === 'album' ? ' ' : ''}${row.open ? '-' : '+'}${row.label}`;

describe('fuzzyMatch', () => {
  it('matches the characters in order, anywhere, and says where', () => {
    assert.deepEqual(fuzzyMatch('btl', 'Beatles')?.positions, [0, 3, 4]);
    assert.equal(fuzzyMatch('xyz', 'Beatles'), undefined);
    assert.equal(fuzzyMatch('selt', 'Beatles'), undefined, 'order matters');
  });

  it('ranks as fzf does: consecutive first, then word starts, then scattered', () => {
    const texts = ['Hotel Emergency Lights Pulse', 'The Help', 'Shelp', 'Whole Empty Lamp'];
    const ranked = texts
      .map((text) => [text, fuzzyMatch('help', text)?.score ?? -1] as const)
      .sort((a, b) => b[1] - a[1]);
    assert.deepEqual(
      ranked.map(([text]) => text),
      ['The Help', 'Shelp', 'Hotel Emergency Lights Pulse', 'Whole Empty Lamp'],
    );
  });

  it('is smart about case: a capital matches case, lower case matches either', () => {
    assert.ok(fuzzyMatch('abba', 'ABBA'));
    assert.equal(fuzzyMatch('Abba', 'abba'), undefined);
    assert.ok(fuzzyMatch('çã', 'Canção'));
  });

  it('needs every term in some field (title, artist, album or file), and marks the shown ones', () => {
    const fields = { name: 'Odd Band - Song 1', album: 'First Light', file: 'odd/first/01.mp3' };
    const match = matchFields(['odd', 'light'], fields);
    assert.ok(match);
    assert.deepEqual(match.name, [0, 1, 2]);
    assert.deepEqual(match.album, [6, 7, 8, 9, 10]);
    assert.equal(matchFields(['odd', 'zzz'], fields), undefined);
  });
});

describe('search rows', () => {
  const library = [
    song(1, { title: 'Whole Empty Lamp' }),
    song(2, { title: 'The Help' }),
    song(3, { title: 'Nothing' }),
  ];
  it('keeps the matches only, best first', () => {
    assert.deepEqual(
      searchRows(library, 'help').map((row) => (row.kind === 'song' ? row.song.id : 0)),
      [2, 1],
    );
  });
});

describe('the tree', () => {
  const library = [
    song(1, { artist: 'Zed', album: 'Late', year: 2020, track: 2, title: 'z-late-2' }),
    song(2, { artist: 'Zed', album: 'Early', year: 2001, track: 1, title: 'z-early-1' }),
    song(3, { artist: 'Zed', album: 'Late', year: 2020, track: 1, title: 'z-late-1' }),
    song(4, { artist: 'abba', album: undefined, title: 'untagged album' }),
    song(5, { artist: undefined, title: 'nobody' }),
  ];
  it('artists by name (unknown last), albums by year, songs by track number', () => {
    const all = new Set(['a\0Zed', 'b\0Zed\0Late', 'a\0abba']);
    assert.deepEqual(treeRows(library, all).map(label), [
      '-abba',
      ' +Unknown album',
      '-Zed',
      ' +2001  Early',
      ' -2020  Late',
      '  z-late-1',
      '  z-late-2',
      '+Unknown artist',
    ]);
  });

  const tree: PlayerState = { ...initialState('me'), library, libraryView: 'tree', connection: 'online' };
  const press = (state: PlayerState, key: Parameters<typeof keyToAction>[0]): PlayerState => {
    const action = keyToAction(key, state);
    return action ? applyAction(state, action).state : state;
  };
  const shown = (state: PlayerState): string[] =>
    libraryRows(state).map((row, i) => (i === state.selected ? '>' : '') + label(row));

  it('Enter or Right opens, Left closes (from a song: its album, the cursor on it)', () => {
    let state = press(tree, { name: 'down' }); // Zed
    state = press(state, { name: 'right' });
    assert.deepEqual(shown(state), ['+abba', '>-Zed', ' +2001  Early', ' +2020  Late', '+Unknown artist']);
    state = press(press(press(state, { name: 'down' }), { name: 'down' }), { name: 'return' }); // open Late
    state = press(state, { name: 'down' });
    assert.deepEqual(shown(state), [
      '+abba',
      '-Zed',
      ' +2001  Early',
      ' -2020  Late',
      '>  z-late-1',
      '  z-late-2',
      '+Unknown artist',
    ]);
    state = press(state, { name: 'left' });
    assert.deepEqual(shown(state), ['+abba', '-Zed', ' +2001  Early', '> +2020  Late', '+Unknown artist']);
    state = press(state, { name: 'left' });
    assert.deepEqual(
      shown(state),
      ['+abba', '>-Zed', ' +2001  Early', ' +2020  Late', '+Unknown artist'],
      'a closed album: Left goes up to its artist',
    );
    state = press(state, { name: 'left' });
    assert.deepEqual(shown(state), ['+abba', '>+Zed', '+Unknown artist']);
  });

  it('Right on a song seeks; Enter on a song plays it', () => {
    const open: PlayerState = { ...tree, expanded: new Set(['a\0Zed', 'b\0Zed\0Early']), selected: 3 };
    assert.deepEqual(keyToAction({ name: 'right' }, open), { type: 'seek', by: 5 });
    assert.equal(applyAction(open, { type: 'play-selected' }).state.now?.song.id, 2);
  });

  it('v keeps the cursor on its song; a search kept with Enter opens the way to it', () => {
    const list: PlayerState = { ...tree, libraryView: 'list', selected: 2 }; // song 3
    const asTree = press(list, { ch: 'v' });
    assert.deepEqual(shown(asTree)[asTree.selected], '>+Zed', 'its artist, closed');
    let search = press(asTree, { ch: '/' });
    for (const ch of 'zlate2') search = press(search, { ch });
    const kept = press(search, { name: 'return' });
    assert.equal(shown(kept)[kept.selected], '>  z-late-2');
  });
});

describe('the tree with album artists and discs', () => {
  const compilation = { album: 'Hits', albumArtist: 'Various Artists' };
  const songs = [
    song(1, { ...compilation, artist: 'Ana', disc: 1, track: 1 }),
    song(2, { ...compilation, artist: 'Bo', disc: 2, track: 1 }),
    song(3, { ...compilation, artist: 'Cy', disc: 1, track: 2 }),
    song(4, { artist: 'Ana', album: 'Solo', track: 1 }),
  ];
  it('files a compilation as one album under its album artist, songs by disc then track', () => {
    const rows = treeRows(songs, new Set(['a\0Various Artists', 'b\0Various Artists\0Hits', 'a\0Ana']));
    const shown = rows.map((row) => (row.kind === 'song' ? row.song.id : `${row.kind}:${row.label}`));
    assert.deepEqual(shown, ['artist:Ana', 'album:Solo', 'artist:Various Artists', 'album:Hits', 1, 3, 2]);
  });
});

describe('the song-info lines', () => {
  it('name every tag the song has, its format, bitrate, ReplayGain and what is on disk', () => {
    const tagged = song(5, {
      albumArtist: 'VA',
      disc: 2,
      genre: 'Jazz',
      year: 1999,
      duration: 100,
      bytes: 1_600_000,
      trackGain: -6.2,
      trackPeak: 0.9884,
      albumGain: -3.1,
    });
    const state: PlayerState = { ...initialState('me'), cached: new Map([[tagged.etag, new Set([0, 1])]]) };
    assert.deepEqual(songInfoLines(state, tagged), [
      ['title', 'Song 5'],
      ['artist', 'Odd Band'],
      ['album artist', 'VA'],
      ['disc', '2'],
      ['year', '1999'],
      ['genre', 'Jazz'],
      ['file', 'Artist/Album/05 Song 5.mp3'],
      ['format', 'MP3, 44,100 Hz, stereo'],
      ['bitrate', '128 kbit/s (average)'],
      ['length', '1:40 (1,600,000 bytes)'],
      ['replaygain', 'track -6.20 dB (peak 0.988), album -3.10 dB'],
      ['cached', '2 of 4 blocks of 30 s'],
    ]);
  });
  it('opens on the song under the cursor, and i closes it', () => {
    const state: PlayerState = { ...initialState('me'), library: [song(1), song(2)], selected: 1 };
    const open = applyAction(state, keyToAction({ ch: 'i' }, state) as never).state;
    assert.equal(open.info?.id, 2);
    const closed = applyAction(open, keyToAction({ ch: 'i' }, open) as never).state;
    assert.equal(closed.info, undefined);
  });
});

describe('search that ignores accents, and by field', () => {
  it('folds accents in the text and in the term, keeping positions', () => {
    const cases: Array<[string, string, number[] | undefined]> = [
      ['motley', 'Mötley Crüe', [0, 1, 2, 3, 4, 5]],
      ['crue', 'Mötley Crüe', [7, 8, 9, 10]],
      ['coracao', 'Coração', [0, 1, 2, 3, 4, 5, 6]],
      ['CORAÇÃO', 'Coração', undefined], // a capital: case counts (smart case), accents still do not
      ['Coracao', 'Coração', [0, 1, 2, 3, 4, 5, 6]],
      ['cafe', 'Cafe\u0301 com Leite', [0, 1, 2, 3]],
      ['strasse', 'Straße', undefined], // ß is a letter of its own
    ];
    for (const [term, text, positions] of cases)
      assert.deepEqual(fuzzyMatch(term, text)?.positions, positions, `${term} in ${text}`);
  });

  it('reads field terms, quoted with spaces', () => {
    assert.deepEqual(queryTerms('artist:motley  dr album:"dr feelgood" year:1985-1989 Genre:rock'), [
      { field: 'artist', text: 'motley' },
      { text: 'dr' },
      { field: 'album', text: 'dr feelgood' },
      { field: 'year', text: '1985-1989' },
      { field: 'genre', text: 'rock' },
    ]);
    assert.deepEqual(queryTerms('time: "two words"'), [{ text: 'time:' }, { text: 'two words' }]);
  });

  it('matches a field term in its field only', () => {
    const library = [
      song(1, { artist: 'Mötley Crüe', title: 'Kickstart', album: 'Dr. Feelgood', year: 1989, genre: 'Hard Rock' }),
      song(2, { artist: 'Dr. Dre', title: 'Still', album: '2001', year: 1999, genre: 'Hip Hop' }),
      song(3, { artist: 'Coração Band', title: 'Motley', album: 'Other', year: 1985, genre: 'Samba' }),
      song(4, { title: 'Solo', artist: 'Solo Artist', albumArtist: 'Various Artists', album: 'Hits' }),
    ];
    const ids = (query: string): number[] =>
      searchRows(library, query).map((row) => (row.kind === 'song' ? row.song.id : -1));
    assert.deepEqual(ids('motley').sort(), [1, 3], 'the artist Mötley and the title Motley');
    assert.deepEqual(ids('artist:motley'), [1]);
    assert.deepEqual(ids('title:motley'), [3]);
    assert.deepEqual(ids('album:"dr feelgood"'), [1]);
    assert.deepEqual(ids('genre:rock'), [1]);
    assert.deepEqual(ids('year:1989'), [1]);
    assert.deepEqual(ids('year:198'), [1, 3]);
    assert.deepEqual(ids('year:1985-1999').sort(), [1, 2, 3]);
    assert.deepEqual(ids('artist:various'), [4], 'the album artist is an artist too');
    assert.deepEqual(ids('artist:coracao genre:samba'), [3]);
    assert.deepEqual(ids('genre:jazz'), []);
  });
});
