import { api, createAction, showError } from './api.js'
import { clearSession } from './session.js'

const action = createAction()

export async function logout(router) {
  try {
    await action.run((requestId) => api.logout(requestId))
  } catch (error) {
    // A session that has ended already is as good as logged out.
    if (error.status !== 401) {
      showError(error)
      return
    }
  }
  clearSession()
  router.replace({ name: 'login' })
}
