// The console's only HTTP client. Every call goes through request(), which
//  - sends the session's CSRF token (cookie qx_csrf) in X-CSRF-Token on every write,
//  - sends X-Request-Id, and for writes the same id as the body's requestId, so that the
//    services replay the first result when an action is retried,
//  - sends the browser to the login page on 401,
//  - raises ApiError with the Chinese `message` of the gateway's error body.
import { ElMessage } from 'element-plus'

import router from './router.js'

export const STALE_MESSAGE = '该记录已被他人处理，请刷新'
const NETWORK_MESSAGE = '无法连接服务器，请检查网络后重试'
const UNKNOWN_MESSAGE = '服务器返回了无法识别的结果，请稍后重试'

export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.message === 'string' && body.message ? body.message : UNKNOWN_MESSAGE)
    this.status = status
    this.reason = (body && body.reason) || ''
    this.code = (body && body.code) || ''
    this.details = (body && body.details) || {}
    this.requestId = (body && body.request_id) || ''
  }
}

export function newRequestId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') {
    return globalThis.crypto.randomUUID()
  }
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)qx_csrf=([^;]*)/)
  return match ? decodeURIComponent(match[1]) : ''
}

function queryString(query) {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === '') continue
    params.append(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

// Sends one request and returns the decoded JSON body. `requestId` names the action: pass the
// same id when the same action is retried.
export async function request(method, path, { query, body, requestId } = {}) {
  const headers = { Accept: 'application/json', 'X-Request-Id': requestId || newRequestId() }
  const write = method !== 'GET' && method !== 'HEAD'
  if (write) {
    const token = csrfToken()
    if (token) headers['X-CSRF-Token'] = token
  }
  let payload
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json; charset=utf-8'
    payload = JSON.stringify(body)
  }

  let response
  try {
    response = await fetch(`/v1${path}${queryString(query)}`, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(0, { message: NETWORK_MESSAGE, reason: 'NETWORK_ERROR' })
  }

  let data = null
  const text = await response.text()
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (response.ok) return data || {}

  const error = new ApiError(response.status, data)
  if (response.status === 401 && path !== '/sessions:login') openLoginPage()
  throw error
}

// Sends the browser to the login page after the session ended, to come back afterwards.
function openLoginPage() {
  const current = router.currentRoute.value
  if (current.name !== 'login') {
    router.replace({ name: 'login', query: { redirect: current.fullPath } })
  }
}

// Returns the file name of a Content-Disposition header: its UTF-8 filename* (RFC 6266), else
// its plain filename, else ''.
function fileNameOf(disposition) {
  if (!disposition) return ''
  const encoded = disposition.match(/filename\*=UTF-8''([^;]+)/i)
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1].trim())
    } catch {
      // A malformed escape falls back to the plain name.
    }
  }
  const plain = disposition.match(/filename="([^"]*)"/i)
  return plain ? plain[1] : ''
}

// Fetches a file route (an export or a PDF) and returns {blob, fileName}. Errors raise ApiError
// with the gateway's Chinese message, as request() does.
export async function fetchFile(path, { query } = {}) {
  let response
  try {
    response = await fetch(`/v1${path}${queryString(query)}`, {
      headers: { 'X-Request-Id': newRequestId() },
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(0, { message: NETWORK_MESSAGE, reason: 'NETWORK_ERROR' })
  }
  if (!response.ok) {
    let data = null
    try {
      data = JSON.parse(await response.text())
    } catch {
      data = null
    }
    if (response.status === 401) openLoginPage()
    throw new ApiError(response.status, data)
  }
  return { blob: await response.blob(), fileName: fileNameOf(response.headers.get('Content-Disposition')) }
}

// Saves `blob` as a download named `fileName`.
export function saveFile(blob, fileName) {
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = fileName
  link.click()
  // Revoking the URL right after click() can cancel the download, so the URL lives a while.
  setTimeout(() => URL.revokeObjectURL(link.href), 10000)
}

// A write action that keeps its request id until it succeeds or fails for good, so that a retry
// after a lost response (network error, 5xx, timeout) is replayed by the service, not repeated.
// `pending` disables the button while the request is in flight, so a double click sends once.
export function createAction() {
  const state = { pending: false, requestId: '' }
  return {
    state,
    async run(send) {
      if (state.pending) return undefined
      state.pending = true
      if (!state.requestId) state.requestId = newRequestId()
      try {
        const result = await send(state.requestId)
        state.requestId = ''
        return result
      } catch (error) {
        const retryable = error instanceof ApiError && (error.status === 0 || error.status >= 500)
        if (!retryable) state.requestId = ''
        throw error
      } finally {
        state.pending = false
      }
    },
  }
}

// Shows an error the way every page does. A 409 means someone else changed the record first:
// the page gets `reload` to fetch it again.
export function showError(error, reload) {
  if (error instanceof ApiError && error.status === 401) return
  if (error instanceof ApiError && error.status === 409) {
    ElMessage({ type: 'warning', message: STALE_MESSAGE, grouping: true })
    if (reload) reload()
    return
  }
  const message = error instanceof ApiError ? error.message : UNKNOWN_MESSAGE
  ElMessage({ type: 'error', message, grouping: true })
}

export const api = {
  login: (username, password) => request('POST', '/sessions:login', { body: { username, password } }),
  logout: (requestId) =>
    request('POST', '/sessions:logout', { body: requestId ? { requestId } : {}, requestId }),
  currentUser: () => request('GET', '/users/me'),
  school: (schoolId) => request('GET', `/schools/${schoolId}`),
  departments: (schoolId) => request('GET', `/schools/${schoolId}/departments`),
  graduates: (schoolId, classYear, query) =>
    request('GET', `/schools/${schoolId}/classes/${classYear}/graduates`, { query }),
  graduate: (schoolId, graduateId) => request('GET', `/schools/${schoolId}/graduates/${graduateId}`),
  ledgerEntry: (schoolId, graduateId) => request('GET', `/schools/${schoolId}/graduates/${graduateId}/ledger`),
  emsComparison: (schoolId, graduateId) =>
    request('GET', `/schools/${schoolId}/graduates/${graduateId}/emsComparison`),
  refreshGraduateFromEms: (schoolId, graduateId, etag, requestId) =>
    request('POST', `/schools/${schoolId}/graduates/${graduateId}:refreshFromEms`, {
      body: { etag, requestId },
      requestId,
    }),
  restoreGraduate: (schoolId, graduateId, requestId) =>
    request('POST', `/schools/${schoolId}/graduates/${graduateId}:restore`, {
      body: { requestId },
      requestId,
    }),
  codeTable: (table, classYear) => request('GET', `/codeTables/${table}`, { query: { classYear } }),
  statistics: (schoolId, classYear, department) =>
    request('GET', `/schools/${schoolId}/classes/${classYear}/statistics`, { query: { department } }),
  signingSettings: (schoolId, classYear) =>
    request('GET', `/schools/${schoolId}/classes/${classYear}/signingSettings`),
  updateSigningSettings: (schoolId, classYear, settings, requestId) =>
    request('PUT', `/schools/${schoolId}/classes/${classYear}/signingSettings`, {
      body: { ...settings, requestId },
      requestId,
    }),
  warningMarks: (schoolId, query) => request('GET', `/schools/${schoolId}/warningMarks`, { query }),
  createWarningMark: (schoolId, mark, requestId) =>
    request('POST', `/schools/${schoolId}/warningMarks`, { body: { ...mark, requestId }, requestId }),
  deleteWarningMark: (schoolId, markId, etag, requestId) =>
    request('DELETE', `/schools/${schoolId}/warningMarks/${markId}`, { query: { requestId, etag }, requestId }),

  users: (schoolId, query) => request('GET', `/schools/${schoolId}/users`, { query }),
  user: (schoolId, userId) => request('GET', `/schools/${schoolId}/users/${userId}`),
  createUser: (schoolId, user, requestId) =>
    request('POST', `/schools/${schoolId}/users`, { body: { ...user, requestId }, requestId }),
  updateUser: (schoolId, userId, change, requestId) =>
    request('PATCH', `/schools/${schoolId}/users/${userId}`, { body: { ...change, requestId }, requestId }),
  setUserGrants: (schoolId, userId, grants, etag, requestId) =>
    request('POST', `/schools/${schoolId}/users/${userId}:setGrants`, { body: { grants, etag, requestId }, requestId }),
  disableUser: (schoolId, userId, etag, requestId) =>
    request('POST', `/schools/${schoolId}/users/${userId}:disable`, { body: { etag, requestId }, requestId }),
  enableUser: (schoolId, userId, etag, requestId) =>
    request('POST', `/schools/${schoolId}/users/${userId}:enable`, { body: { etag, requestId }, requestId }),
  resetUserPassword: (schoolId, userId, newPassword, requestId) =>
    request('POST', `/schools/${schoolId}/users/${userId}:resetPassword`, { body: { newPassword, requestId }, requestId }),

  onlineSignings: (schoolId, query) => request('GET', `/schools/${schoolId}/onlineSignings`, { query }),
  onlineSigning: (schoolId, invitationId) => request('GET', `/schools/${schoolId}/onlineSignings/${invitationId}`),
  onlineSigningPendingCounts: (schoolId) => request('GET', `/schools/${schoolId}/onlineSignings:pendingCounts`),
  exportOnlineSignings: (schoolId, query) => fetchFile(`/schools/${schoolId}/onlineSignings:export`, { query }),
  agreementPdf: (agreementNumber) => fetchFile(`/agreements/${encodeURIComponent(agreementNumber)}/pdf`),
  reviewOnlineSigning: (schoolId, invitationId, review, requestId) =>
    request('POST', `/schools/${schoolId}/onlineSignings/${invitationId}:review`, {
      body: { ...review, requestId },
      requestId,
    }),
  batchReviewOnlineSignings: (schoolId, review, requestId) =>
    request('POST', `/schools/${schoolId}/onlineSignings:batchReview`, { body: { ...review, requestId }, requestId }),
  voidOnlineSigning: (schoolId, invitationId, etag, detail, requestId) =>
    request('POST', `/schools/${schoolId}/onlineSignings/${invitationId}:void`, {
      body: { etag, detail, requestId },
      requestId,
    }),

  modifyOnlineSigning: (schoolId, invitationId, change, requestId) =>
    request('POST', `/schools/${schoolId}/onlineSignings/${invitationId}:modify`, {
      body: { ...change, requestId },
      requestId,
    }),

  offlineAgreements: (schoolId, query) => request('GET', `/schools/${schoolId}/offlineAgreements`, { query }),
  offlineAgreement: (schoolId, agreementId) => request('GET', `/schools/${schoolId}/offlineAgreements/${agreementId}`),
  exportOfflineAgreements: (schoolId, query) => fetchFile(`/schools/${schoolId}/offlineAgreements:export`, { query }),
  exportReturnedOfflineAgreements: (schoolId, query) =>
    fetchFile(`/schools/${schoolId}/offlineAgreements:exportReturned`, { query }),
  offlineAgreementPendingCounts: (schoolId) => request('GET', `/schools/${schoolId}/offlineAgreements:pendingCounts`),
  offlineStampedScan: (schoolId, agreementId) => fetchFile(`/schools/${schoolId}/offlineAgreements/${agreementId}/stampedScan`),
  reviewOfflineAgreement: (schoolId, agreementId, review, requestId) =>
    request('POST', `/schools/${schoolId}/offlineAgreements/${agreementId}:review`, {
      body: { ...review, requestId },
      requestId,
    }),
  batchReviewOfflineAgreements: (schoolId, review, requestId) =>
    request('POST', `/schools/${schoolId}/offlineAgreements:batchReview`, { body: { ...review, requestId }, requestId }),
  voidOfflineAgreement: (schoolId, agreementId, etag, detail, requestId) =>
    request('POST', `/schools/${schoolId}/offlineAgreements/${agreementId}:void`, {
      body: { etag, detail, requestId },
      requestId,
    }),

  paperRegistrations: (schoolId, query) => request('GET', `/schools/${schoolId}/paperRegistrations`, { query }),
  paperRegistration: (schoolId, registrationId) =>
    request('GET', `/schools/${schoolId}/paperRegistrations/${registrationId}`),
  exportPaperRegistrations: (schoolId, query) => fetchFile(`/schools/${schoolId}/paperRegistrations:export`, { query }),
  exportReturnedPaperRegistrations: (schoolId, query) =>
    fetchFile(`/schools/${schoolId}/paperRegistrations:exportReturned`, { query }),
  paperRegistrationPendingCounts: (schoolId) => request('GET', `/schools/${schoolId}/paperRegistrations:pendingCounts`),
  paperRegistrationScan: (schoolId, registrationId) =>
    fetchFile(`/schools/${schoolId}/paperRegistrations/${registrationId}/scan`),
  reviewPaperRegistration: (schoolId, registrationId, review, requestId) =>
    request('POST', `/schools/${schoolId}/paperRegistrations/${registrationId}:review`, {
      body: { ...review, requestId },
      requestId,
    }),
  batchReviewPaperRegistrations: (schoolId, review, requestId) =>
    request('POST', `/schools/${schoolId}/paperRegistrations:batchReview`, { body: { ...review, requestId }, requestId }),
  modifyPaperRegistration: (schoolId, registrationId, change, requestId) =>
    request('POST', `/schools/${schoolId}/paperRegistrations/${registrationId}:modify`, {
      body: { ...change, requestId },
      requestId,
    }),
  voidPaperRegistration: (schoolId, registrationId, etag, detail, requestId) =>
    request('POST', `/schools/${schoolId}/paperRegistrations/${registrationId}:void`, {
      body: { etag, detail, requestId },
      requestId,
    }),
}
