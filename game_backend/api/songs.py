"""REST routes for the song catalogue, and each player's favorite and recent songs."""

from __future__ import annotations

from aiohttp import web

from ..app_keys import DB
from ..controllers import songs, users
from ..validation import Difficulty, FavoriteBody, SongNumber, SongTitle
from .http import caller, known_caller, path_param, read_body

routes = web.RouteTableDef()


@routes.get("/api/songs")
async def list_songs(request: web.Request) -> web.Response:
    """Every song without its chart; with a token, `favorite` marks the caller's favorites."""
    return web.json_response(await songs.list_songs(request.app[DB], await _favorites(request)))


@routes.get("/api/songs/difficulty/{difficulty}")
async def songs_of_difficulty(request: web.Request) -> web.Response:
    difficulty = path_param(request, "difficulty", Difficulty)
    return web.json_response(await songs.list_songs(request.app[DB], await _favorites(request), difficulty))


@routes.get("/api/songs/favorite")
async def favorite_songs(request: web.Request) -> web.Response:
    favorites = await users.favorites_of(request.app[DB], caller(request))
    return web.json_response(await songs.list_songs(request.app[DB], favorites, numbers=favorites))


@routes.get("/api/songs/recent")
async def recent_songs(request: web.Request) -> web.Response:
    """`{recentlyPlayed: [songs]}`, newest first, as Motion Beat's client reads it."""
    db = request.app[DB]
    user = caller(request)
    recent = await users.recent_numbers(db, user)
    by_number = {
        song["number"]: song for song in await songs.list_songs(db, await users.favorites_of(db, user), numbers=recent)
    }
    return web.json_response({"recentlyPlayed": [by_number[number] for number in recent if number in by_number]})


@routes.patch("/api/songs/favorite/{title}")
async def set_favorite(request: web.Request) -> web.Response:
    """`{favorite: true|false}` for the song with this title."""
    user = caller(request)
    title = path_param(request, "title", SongTitle)
    body = await read_body(request, FavoriteBody)
    number = await songs.number_titled(request.app[DB], title)
    await users.set_favorite(request.app[DB], user, number, body.favorite)
    message = "added to your favorites" if body.favorite else "removed from your favorites"
    return web.json_response({"ok": True, "message": message, "number": number, "favorite": body.favorite})


@routes.get("/api/songs/{number}")
async def get_song(request: web.Request) -> web.Response:
    """One song with its note chart (`notes: [{time, instrument, motion}]`) and image path; 0 is the tutorial."""
    number = path_param(request, "number", SongNumber)
    return web.json_response(await songs.get_song(request.app[DB], number))


async def _favorites(request: web.Request) -> list[int]:
    user = known_caller(request)
    return await users.favorites_of(request.app[DB], user) if user is not None else []
