// REST calls: JSON in and out, `Authorization: Bearer` when signed in, failures as Failure.

import { Failure } from "./messages.js";

/** Call `path`; resolves to the JSON answer, rejects with a Failure carrying the server's code. */
export async function request(method, path, { body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new Failure("OFFLINE", "the server cannot be reached");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new Failure(data?.code ?? `HTTP_${response.status}`, data?.message ?? `the server answered ${response.status}`);
  }
  return data;
}
