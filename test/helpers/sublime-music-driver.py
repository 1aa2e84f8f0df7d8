"""
Drives Debian's sublime-music through its Subsonic adapter, without its window: logs in, lists
artists, opens an album, searches, and fetches a song's stream and file from the URLs the
adapter makes. Prints one JSON object of what it saw, for the test to compare with the library.

    /usr/bin/python3 sublime-music-driver.py <server url> <user> <password> <data dir> <query>
"""
import hashlib
import json
import sys
from pathlib import Path

import requests
from sublime_music.adapters import ConfigurationStore
from sublime_music.adapters.subsonic import SubsonicAdapter

url, user, password, data_dir, query = sys.argv[1:6]
ConfigurationStore.MOCK = True  # secrets in memory, not in a keyring
config = ConfigurationStore(server_address=url, username=user, verify_cert=False, salt_auth=True)
config.set_secret("password", password)
adapter = SubsonicAdapter(config, Path(data_dir))
adapter._set_ping_status()

artists = adapter.get_artists()
artist = next(a for a in artists if a.name == "Björk")
albums = adapter.get_artist(artist.id).albums
album = adapter.get_album(albums[0].id)
found = adapter.search(query)
song = found.songs[0]
stream = requests.get(adapter.get_song_stream_uri(song.id), timeout=30)
download = requests.get(adapter.get_song_file_uri(song.id, ["http"]), timeout=30)
genres = adapter.get_genres()
print(
    json.dumps(
        {
            "ping": bool(adapter.ping_status),
            "artists": sorted(a.name for a in artists),
            "albums": [a.name for a in albums],
            "album_songs": [s.title for s in album.songs],
            "found": [s.title for s in found.songs],
            "song_path": song.path,
            "stream_status": stream.status_code,
            "stream_type": stream.headers.get("content-type"),
            "stream_sha256": hashlib.sha256(stream.content).hexdigest(),
            "download_bytes": len(download.content),
            "download_same": stream.content == download.content,
            "genres": sorted(g.name for g in genres),
        }
    )
)
adapter.shutdown()
