#!/usr/bin/env node
// Posts FILE as a merge-request note, or updates the note that starts with the preview marker.
// GitLab CI variables: CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID; BORGOPS_PREVIEW_TOKEN
// is a project access token with the `api` scope.
import { readFile } from 'node:fs/promises';

const MARKER = '<!-- borgops-preview -->';
const [file] = process.argv.slice(2);
const {
  CI_API_V4_URL: api,
  CI_PROJECT_ID: project,
  CI_MERGE_REQUEST_IID: mr,
  BORGOPS_PREVIEW_TOKEN: token,
} = process.env;
if (!file || !api || !project || !mr || !token) {
  console.error('usage: gitlab-note.mjs FILE (in a merge-request pipeline, with BORGOPS_PREVIEW_TOKEN set)');
  process.exit(2);
}
const body = await readFile(file, 'utf8');
const notes = `${api}/projects/${encodeURIComponent(project)}/merge_requests/${mr}/notes`;
const headers = { 'PRIVATE-TOKEN': token, 'Content-Type': 'application/json' };

async function call(method, url, payload) {
  const response = await fetch(url, {
    method,
    headers,
    ...(payload ? { body: JSON.stringify(payload) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

let existing;
for (let page = 1; existing === undefined; page += 1) {
  const list = await call('GET', `${notes}?per_page=100&page=${page}&sort=asc`);
  if (list.length === 0) break;
  existing = list.find((note) => !note.system && note.body.startsWith(MARKER));
}
if (existing) await call('PUT', `${notes}/${existing.id}`, { body });
else await call('POST', notes, { body });
console.log(existing ? `updated note ${existing.id}` : 'posted a note');
