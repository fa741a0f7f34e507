// Drives an online signing, an offline e-agreement and a paper agreement registration (补登)
// from start to end in Debian's Chromium (headless, through playwright-core): graduates and the
// employer in their portals, department and school users in the console. Needs a running stack
// with the demo school, a roster of the current class and a read-write department account for
// every department of it.
//
//   node web/e2e/signing.e2e.mjs --base-url=http://127.0.0.1:PORT --artifacts=DIR --password=PASSWORD \
//       --school-id=ID --class-year=YEAR --graduate-username=USER --graduate-name=NAME \
//       --second-student-number=NUMBER --second-name=NAME --directed-student-number=NUMBER \
//       --directed-name=NAME --directed-id-number=ID --department-username=USER \
//       --credit-code=CODE --bad-credit-code=CODE --employer-username=USER \
//       --offline-graduate-username=USER --offline-graduate-name=NAME --offline-department-username=USER \
//       --offline-credit-code=CODE \
//       --paper-graduate-username=USER --paper-department-username=USER --paper-credit-code=CODE
//
// Every page runs at 1366×768, the smallest screen the portals support. Prints one "ok"/"FAILED"
// line per check and exits non-zero on the first failed check. Screenshots go to DIR.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, ...rest] = arg.replace(/^--/, '').split('=')
    return [key, rest.join('=')]
  }),
)
const REQUIRED = [
  'base-url', 'artifacts', 'password', 'school-id', 'class-year', 'graduate-username', 'graduate-name',
  'second-student-number', 'second-name', 'directed-student-number', 'directed-name', 'directed-id-number',
  'department-username', 'credit-code', 'bad-credit-code', 'employer-username', 'offline-graduate-username',
  'offline-graduate-name', 'offline-department-username', 'offline-credit-code', 'paper-graduate-username', 'paper-department-username',
  'paper-credit-code',
]
const missing = REQUIRED.filter((key) => !args[key])
if (missing.length) {
  console.error(`usage: signing.e2e.mjs ${REQUIRED.map((key) => `--${key}=…`).join(' ')}; missing ${missing.join(', ')}`)
  process.exit(2)
}
const baseUrl = args['base-url']
const artifacts = args.artifacts
const password = args.password
const schoolId = args['school-id']
const classYear = args['class-year']
const graduateName = args['graduate-name']
const graduateStudentNumber = args['graduate-username'].split('-').slice(1).join('-')
const EMPLOYER_NAME = '端到端测试科技有限公司'
const OFFLINE_EMPLOYER_NAME = '京北示范商贸有限公司'
const POSITION = '软件开发工程师'
const RETURN_REASON = '工作岗位请按单位录用通知填写全称'
// A 1×1 white PNG, standing in for the photo of a stamped agreement.
const STAMPED_SCAN_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC',
  'base64',
)
const VIEWPORT = { width: 1366, height: 768 }
const WAIT_MS = 30000
// Bounds the wait until 数据统计 shows the new signing. Signing commits the destination in sync
// before the approval returns, so the first read should show it; the retries absorb a slow reload.
const STATISTICS_WAIT_MS = 60000
mkdirSync(artifacts, { recursive: true })

function check(condition, description, detail = '') {
  if (!condition) {
    console.log(`FAILED ${description}${detail ? `: ${detail}` : ''}`)
    throw new Error(description)
  }
  console.log(`ok     ${description}`)
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true })
}

// Element Plus passes data-test to the <input> of el-input but keeps it on the wrapper of others.
function field(page, name) {
  return page.locator(`input[data-test=${name}], [data-test=${name}] input`).first()
}

// Chooses the first option of the select `name` by keyboard, because the closing dropdown of a
// previous select stays visible for a moment and would take a click.
async function chooseFirstOption(page, name) {
  const input = field(page, name)
  await input.click()
  await page.locator('.el-select-dropdown__item:visible').first().waitFor({ timeout: WAIT_MS })
  await input.press('ArrowDown')
  await input.press('Enter')
  await page.waitForFunction(
    (select) => document.querySelector(`[data-test=${select}] .el-select__placeholder:not(.is-transparent)`)?.innerText.trim(),
    name,
    { timeout: WAIT_MS },
  )
}

// Waits until a review dialog shows its EMS comparison, which arrives last and moves the buttons
// down, so that a click lands on the button it aims at.
async function reviewDialogSettled(dialog) {
  await dialog
    .locator('[data-test=review-comparison] .el-table__body tr, [data-test=review-comparison] .hint')
    .first()
    .waitFor({ timeout: WAIT_MS })
}

async function chooseOption(page, select, optionText) {
  await select.click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: optionText }).first().click()
}

function todayInBeijing() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

async function newPage(browser) {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'zh-CN' })
  const page = await context.newPage()
  page.on('pageerror', (error) => console.log(`page error on ${page.url()}: ${error.message}`))
  return { context, page }
}

async function login(page, role, username, secret) {
  await page.goto(`${baseUrl}/login`)
  await page.locator(`[data-test=role-${role}]`).click()
  await field(page, 'username').fill(username)
  await field(page, 'password').fill(secret)
  await page.locator('[data-test=login-submit]').click()
}

async function noHorizontalScroll(page, name) {
  const [scrollWidth, clientWidth] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ])
  check(scrollWidth <= clientWidth, `${name} has no horizontal page scroll at 1366×768`, `${scrollWidth} > ${clientWidth}`)
}

async function confirmMessageBox(page, buttonText) {
  const box = page.locator('.el-message-box:visible')
  await box.waitFor({ timeout: WAIT_MS })
  await box.locator('.el-button', { hasText: buttonText }).click()
}

async function enterEmploymentModule(page) {
  await page.waitForURL(`${baseUrl}/`, { timeout: WAIT_MS })
  await page.locator('[data-test=module-MODULE_EMPLOYMENT]').click()
  await page.waitForURL(/\/employment$/, { timeout: WAIT_MS })
  await page.locator('.header .el-select').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: `${classYear}届` }).first().click()
}

async function openMenu(page, title) {
  const item = page.locator('.el-menu-item', { hasText: title })
  if (!(await item.isVisible())) await page.locator('.el-sub-menu__title', { hasText: '学生管理' }).click()
  await item.click()
}

// The 签约人数 card of 数据统计 as a number.
async function signedCount(page) {
  const card = page.locator('.el-statistic', { hasText: '签约人数' })
  await card.waitFor({ timeout: WAIT_MS })
  await page.waitForFunction(() => !document.querySelector('.el-loading-mask:not([style*="display: none"])'), null, {
    timeout: WAIT_MS,
  })
  return Number((await card.locator('.el-statistic__content').innerText()).replace(/[^\d]/g, ''))
}

// A school user submits the class's signing settings with two-level review and reads 签约人数.
async function schoolSettings(browser) {
  const { context, page } = await newPage(browser)
  await login(page, 'staff', 'school_admin', password)
  await enterEmploymentModule(page)

  await openMenu(page, '数据统计')
  await page.waitForURL(/\/employment\/statistics$/)
  const before = await signedCount(page)
  check(Number.isInteger(before), '数据统计 shows 签约人数 before the signing', String(before))

  await openMenu(page, '签约设置')
  await page.waitForURL(/\/employment\/signing-settings$/)
  const status = page.locator('[data-test=settings-status]')
  await status.waitFor({ timeout: WAIT_MS })
  check((await status.innerText()).includes('尚未提交'), `${classYear}届签约设置 starts as not submitted`)
  const onlineSwitch = page.locator('[data-test=online-signing]')
  if (!(await onlineSwitch.getAttribute('class')).includes('is-checked')) await onlineSwitch.click()
  await page.locator('.el-radio', { hasText: '先院系再校级审核' }).click()
  const form = page.locator('.form')
  await form.getByLabel('全校经办人').fill('王晓燕')
  await form.getByLabel('联系电话').fill('010-67410355')
  await form.getByLabel('通信地址').fill('北京市海淀区京华路 1 号')
  await form.getByLabel('邮政编码').fill('100871')
  await page.locator('[data-test=save-settings]').click()
  await page.locator('.el-message--success', { hasText: '签约设置已提交' }).waitFor({ timeout: WAIT_MS })
  check(true, 'a school user submits online signing with 先院系再校级审核')
  await screenshot(page, 'staff-signing-settings')
  return { context, page, before }
}

// An employer registers on the portal, is rejected for a directed graduate, invites the graduate,
// and invites and withdraws a second one.
async function employerFlow(browser) {
  const { context, page } = await newPage(browser)
  await page.goto(`${baseUrl}/login`)
  await page.locator('[data-test=role-employer]').click()
  await page.locator('[data-test=register-link]').click()
  await page.waitForURL(/\/employer-registration$/, { timeout: WAIT_MS })

  await field(page, 'register-credit-code').fill(args['bad-credit-code'])
  await field(page, 'register-name').fill(EMPLOYER_NAME)
  await field(page, 'register-contact-name').fill('周明')
  await field(page, 'register-contact-phone').fill('13900000002')
  await field(page, 'register-username').fill(args['employer-username'])
  await field(page, 'register-password').fill(password)
  await field(page, 'register-confirm').fill(password)
  await page.locator('[data-test=register-submit]').click()
  const codeError = page.locator('.el-form-item__error', { hasText: '校验位' })
  await codeError.waitFor({ timeout: WAIT_MS })
  check(true, 'a credit code with a wrong check character is rejected with the 统一社会信用代码 message')
  await screenshot(page, 'employer-register-error')
  await noHorizontalScroll(page, 'the employer registration page')

  await field(page, 'register-credit-code').fill(args['credit-code'])
  await page.locator('[data-test=register-submit]').click()
  await page.waitForURL(/\/employer$/, { timeout: WAIT_MS })
  check(true, 'the employer registers and lands on the employer portal')
  const header = page.locator('[data-test=portal-user]')
  await page.waitForFunction((name) => document.querySelector('[data-test=portal-user]')?.innerText.includes(name), EMPLOYER_NAME, {
    timeout: WAIT_MS,
  })
  check((await header.innerText()).includes(EMPLOYER_NAME), 'the employer portal names the employer')

  await page.goto(`${baseUrl}/employment/statistics`)
  await page.waitForURL(/\/employer$/, { timeout: WAIT_MS })
  check(true, 'an employer opening a console page is sent back to the employer portal')
  await page.goto(`${baseUrl}/graduate`)
  await page.waitForURL(/\/employer$/, { timeout: WAIT_MS })
  check(true, 'an employer opening the graduate portal is sent back to the employer portal')

  async function invite(studentNumber, position = '') {
    await page.locator('.el-tabs__item', { hasText: '发起签约' }).click()
    await field(page, 'invite-school').fill(schoolId)
    await field(page, 'invite-class-year').fill(classYear)
    await field(page, 'invite-student-number').fill(studentNumber)
    await field(page, 'invite-position').fill(position)
    await field(page, 'invite-work-location').fill(position ? '北京市海淀区' : '')
    await page.locator('[data-test=invite-submit]').click()
  }

  await invite(args['directed-student-number'])
  const inviteError = page.locator('[data-test=invite-error]')
  await inviteError.waitFor({ timeout: WAIT_MS })
  const refusal = (await inviteError.innerText()).trim()
  check(refusal.includes('不能办理') && refusal.includes('定向/委培'), 'inviting a 21/41 graduate shows why next to the form', refusal)
  await screenshot(page, 'employer-invite-refused')
  await noHorizontalScroll(page, 'the employer invitation form')

  await invite(graduateStudentNumber, POSITION)
  const table = page.locator('[data-test=employer-invitations]')
  const row = table.locator('tbody tr', { hasText: graduateName })
  await row.waitFor({ timeout: WAIT_MS })
  check((await row.innerText()).includes('单位发起签约，等待学生应约'), 'the invitation is listed as 单位发起签约，等待学生应约')
  check((await row.innerText()).includes(POSITION), 'the invitation lists the position the employer entered')

  await invite(args['second-student-number'])
  const secondRow = table.locator('tbody tr', { hasText: args['second-name'] })
  await secondRow.waitFor({ timeout: WAIT_MS })
  await secondRow.locator('[data-test=withdraw]').click()
  await confirmMessageBox(page, '撤回')
  await page.waitForFunction(
    (name) => [...document.querySelectorAll('[data-test=employer-invitations] tbody tr')].some(
      (tr) => tr.innerText.includes(name) && tr.innerText.includes('单位已撤回签约邀请')),
    args['second-name'],
    { timeout: WAIT_MS },
  )
  check(true, 'the employer withdraws an unanswered invitation')
  check(!(await page.locator('body').innerText()).includes('预警'), 'the employer portal shows no warning mark')
  await screenshot(page, 'employer-invitations')
  await noHorizontalScroll(page, 'the employer invitation list')
  return { context, page }
}

// A 21/41 graduate activates the account on the portal and is shown why online signing is closed.
async function directedGraduateFlow(browser) {
  const { context, page } = await newPage(browser)
  await page.goto(`${baseUrl}/login`)
  await page.locator('[data-test=role-graduate]').click()
  await page.locator('[data-test=activate-link]').click()
  await page.waitForURL(/\/activate$/, { timeout: WAIT_MS })
  const username = `${args['graduate-username'].split('-')[0]}-${args['directed-student-number']}`
  await field(page, 'activate-username').fill(username)
  await field(page, 'activate-name').fill(args['directed-name'])
  await field(page, 'activate-id-number').fill(args['directed-id-number'])
  await field(page, 'activate-password').fill(password)
  await field(page, 'activate-confirm').fill(password)
  await page.locator('[data-test=activate-submit]').click()
  await page.locator('[data-test=activate-done]').waitFor({ timeout: WAIT_MS })
  check(true, 'a graduate activates the account on the portal')
  await screenshot(page, 'graduate-activate')

  await login(page, 'graduate', username, password)
  await page.waitForURL(/\/graduate$/, { timeout: WAIT_MS })
  const notice = page.locator('[data-test=online-eligibility]')
  await notice.waitFor({ timeout: WAIT_MS })
  const text = (await notice.innerText()).trim()
  check(text.includes('不能办理') && text.includes('定向/委培'), 'a 21/41 graduate is told that online signing is closed and what to do', text)
  const offlineNotice = page.locator('[data-test=offline-eligibility]')
  await offlineNotice.waitFor({ timeout: WAIT_MS })
  check((await offlineNotice.innerText()).includes('不能办理'), 'a 21/41 graduate is told that offline signing is closed')
  check((await page.locator('[data-test=offline-new]').count()) === 0, 'a 21/41 graduate cannot start an offline agreement')
  await screenshot(page, 'graduate-directed')
  await context.close()
}

// The graduate reads the invitation and accepts it. Returns the graduate's page.
async function graduateAccepts(browser) {
  const { context, page } = await newPage(browser)
  await page.goto(`${baseUrl}/graduate`)
  await page.waitForURL(/\/login\?redirect=/, { timeout: WAIT_MS })
  const graduateTab = page.locator('[data-test=role-graduate]')
  await graduateTab.waitFor({ timeout: WAIT_MS })
  check((await graduateTab.getAttribute('class')).includes('is-active'), 'the login page opened from /graduate preselects 毕业生')
  await field(page, 'username').fill(args['graduate-username'])
  await field(page, 'password').fill(password)
  await page.locator('[data-test=login-submit]').click()
  await page.waitForURL(/\/graduate$/, { timeout: WAIT_MS })
  const row = page.locator('[data-test=graduate-invitations] tbody tr', { hasText: EMPLOYER_NAME })
  await row.waitFor({ timeout: WAIT_MS })
  check((await row.innerText()).includes('单位发起签约，等待学生应约'), 'the graduate sees the invitation as 单位发起签约，等待学生应约')
  check((await row.innerText()).includes(POSITION), 'the graduate sees the position of the invitation')
  const schoolNumber = (await page.locator('[data-test=school-number]').innerText()).trim()
  check(schoolNumber === schoolId, 'the graduate portal shows the school number employers need', schoolNumber)
  await noHorizontalScroll(page, 'the graduate portal')
  await screenshot(page, 'graduate-invitations')

  await page.goto(`${baseUrl}/employment`)
  await page.waitForURL(/\/graduate$/, { timeout: WAIT_MS })
  check(true, 'a graduate opening a console page is sent back to the graduate portal')

  await row.locator('[data-test=accept]').click()
  await confirmMessageBox(page, '同意签约')
  const status = page.locator('[data-test=my-signing-status]')
  await status.waitFor({ timeout: WAIT_MS })
  check((await status.innerText()).includes('学生已同意签约，等待学院审核'), 'after accepting, the signing waits for the department', await status.innerText())
  check((await row.locator('[data-test=view-only]').count()) === 1, 'the accepted invitation can only be viewed')
  await screenshot(page, 'graduate-accepted')
  return { context, page }
}

async function graduateStatus(page, expected) {
  await page.reload()
  const status = page.locator('[data-test=my-signing-status]')
  await status.waitFor({ timeout: WAIT_MS })
  const text = (await status.innerText()).trim()
  check(text.includes(expected), `the graduate sees ${expected}`, text)
}

// The graduate's signing shows the review history with the stage of each approval, the time in
// Beijing time and no staff user names.
async function graduateSeesHistory(page) {
  const history = page.locator('[data-test=my-signing-history]')
  for (const stage of ['学院', '学校']) {
    await history.locator('.el-timeline-item', { hasText: new RegExp(`${stage} · (审核|鉴证)通过`) }).waitFor({ timeout: WAIT_MS })
    check(true, `the graduate sees the ${stage} approval in the review history`)
  }
  const text = await history.innerText()
  // The approvals happened within the last minutes, so their Beijing date is one of these.
  const beijingDates = [0, 10 * 60 * 1000].map((ago) =>
    new Date(Date.now() - ago).toLocaleDateString('zh-CN', { timeZone: 'Asia/Shanghai' }),
  )
  check(beijingDates.some((date) => text.includes(date)), 'the review history shows times in Beijing time', text)
  check(!text.includes('school_admin') && !text.includes(args['department-username']), 'the review history shows no staff user names', text)
}

// A staff user approves the graduate's signing in 在线签约管理, whose default filter lists the
// signings waiting for review.
async function staffApproves(browser, username, stageName, expectedStatus) {
  const { context, page } = await newPage(browser)
  await login(page, 'staff', username, password)
  await page.waitForURL(`${baseUrl}/`, { timeout: WAIT_MS })
  for (const portal of ['/graduate', '/employer']) {
    await page.goto(`${baseUrl}${portal}`)
    await page.locator('[data-test=module-MODULE_EMPLOYMENT]').waitFor({ timeout: WAIT_MS })
    check(page.url() === `${baseUrl}/`, `a ${stageName} user opening ${portal} is sent to the console`, page.url())
  }
  await enterEmploymentModule(page)
  await openMenu(page, '在线签约管理')
  await page.waitForURL(/\/employment\/online-signings$/, { timeout: WAIT_MS })
  const row = page.locator('[data-test=signing-table] tbody tr', { hasText: graduateName })
  await row.waitFor({ timeout: WAIT_MS })
  await row.locator('[data-test=review]').click()
  const dialog = page.locator('[data-test=review-dialog]')
  const status = dialog.locator('[data-test=review-status]')
  await status.waitFor({ timeout: WAIT_MS })
  check((await status.innerText()).includes(expectedStatus), `the ${stageName} user opens the signing as ${expectedStatus}`)
  await reviewDialogSettled(dialog)
  await screenshot(page, `staff-review-${stageName}`)
  await dialog.locator('[data-test=approve]').click()
  await page.locator('.el-message--success', { hasText: /已(审核|鉴证)通过/ }).waitFor({ timeout: WAIT_MS })
  check(true, `the ${stageName} user approves the signing in 在线签约管理`)
  await context.close()
}

// Clicks `button`, waits for the browser download and returns its bytes.
async function downloadBytes(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), button.click()])
  const file = await download.path()
  return { name: download.suggestedFilename(), bytes: readFileSync(file) }
}

async function graduateDownloadsOnlinePdf(page) {
  const { name, bytes } = await downloadBytes(page, page.locator('[data-test=agreement-pdf]'))
  check(bytes.subarray(0, 5).toString('latin1') === '%PDF-', 'the graduate downloads the online agreement as a PDF', name)
  writeFileSync(path.join(artifacts, 'online-agreement.pdf'), bytes)
}

// A staff user reviews the offline graduate's agreement in 在线签约管理 with 签约发起方 学生:
// `phase` 'agreement' (就业协议审核, listed by default) or 'signing' (签约审核 of the stamped scan),
// `decision` 'approve' or 'return' with `detail`.
async function staffReviewsOffline(browser, username, stageName, phase, decision, detail = '') {
  const { context, page } = await newPage(browser)
  await login(page, 'staff', username, password)
  await enterEmploymentModule(page)
  await openMenu(page, '在线签约管理')
  await page.waitForURL(/\/employment\/online-signings$/, { timeout: WAIT_MS })
  await chooseOption(page, page.locator('.filters .el-select').first(), '学生')
  if (phase === 'signing') {
    await chooseOption(page, page.locator('.filters .el-select').nth(1), '签约审核中')
    await page.locator('[data-test=search]').click()
  }
  const row = page.locator('[data-test=signing-table] .el-table__body tr', { hasText: args['offline-graduate-name'] })
  await row.waitFor({ timeout: WAIT_MS })
  await row.locator('[data-test=review]').click()
  const title = phase === 'signing' ? '线下签约签约审核' : '线下签约就业协议审核'
  const dialog = page.locator('.el-dialog:visible', { hasText: title })
  await dialog.locator('[data-test=offline-status]').waitFor({ timeout: WAIT_MS })
  await reviewDialogSettled(dialog)
  await screenshot(page, `staff-offline-${phase}-${decision}-${stageName}`)
  if (decision === 'return') {
    await dialog.locator('[data-test=offline-return]').click()
    await dialog.locator('textarea').fill(detail)
    await dialog.locator('[data-test=offline-confirm]').click()
    await page.locator('.el-message--success', { hasText: '已退回修改' }).waitFor({ timeout: WAIT_MS })
  } else {
    await dialog.locator('[data-test=offline-approve]').click()
    await page.locator('.el-message--success').first().waitFor({ timeout: WAIT_MS })
  }
  check(true, `the ${stageName} user sends ${decision} at the ${phase} review in 在线签约管理`)
  await context.close()
}

async function offlineStatus(page, expected) {
  await page.reload()
  const row = page.locator('[data-test=offline-agreements] tbody tr').first()
  await row.waitFor({ timeout: WAIT_MS })
  await page.waitForFunction(
    (text) => document.querySelector('[data-test=offline-agreements] [data-test=offline-status]')?.innerText.includes(text),
    expected,
    { timeout: WAIT_MS },
  ).catch(() => {})
  const text = (await row.locator('[data-test=offline-status]').innerText()).trim()
  check(text.includes(expected), `the offline graduate sees ${expected}`, text)
  return row
}

async function fillOfflineForm(page, position) {
  const dialog = page.locator('[data-test=offline-form-dialog]')
  await dialog.waitFor({ timeout: WAIT_MS })
  await field(page, 'offline-employer-name').fill(OFFLINE_EMPLOYER_NAME)
  await field(page, 'offline-credit-code').fill(args['offline-credit-code'])
  for (const select of ['offline-nature', 'offline-industry', 'offline-location']) {
    await chooseFirstOption(page, select)
  }
  await field(page, 'offline-address').fill('北京市朝阳区示范路 8 号')
  await field(page, 'offline-contact-name').fill('刘洋')
  await field(page, 'offline-contact-phone').fill('010-65550001')
  await field(page, 'offline-position').fill(position)
  await field(page, 'offline-work-location').fill('北京市')
  await page.locator('[data-test=offline-submit]').click()
  await dialog.waitFor({ state: 'hidden', timeout: WAIT_MS })
}

// The offline e-agreement: the graduate fills it in, the department returns it once, the graduate
// corrects it, both stages approve, the graduate downloads the PDF and uploads the stamped scan,
// and both stages approve the signing.
async function offlineFlow(browser) {
  const { context, page } = await newPage(browser)
  await login(page, 'graduate', args['offline-graduate-username'], password)
  await page.waitForURL(/\/graduate$/, { timeout: WAIT_MS })
  await page.locator('[data-test=offline-new]').click()
  await fillOfflineForm(page, '行政助理')
  await offlineStatus(page, '就业协议审核中，等待学院审核')
  await screenshot(page, 'graduate-offline-submitted')

  const department = args['offline-department-username']
  await staffReviewsOffline(browser, department, 'department', 'agreement', 'return', RETURN_REASON)
  let row = await offlineStatus(page, '就业协议退回修改')
  check((await row.innerText()).includes(RETURN_REASON), 'the graduate sees why the agreement was returned')
  await screenshot(page, 'graduate-offline-returned')

  await row.locator('[data-test=offline-edit]').click()
  await fillOfflineForm(page, '行政助理（综合管理岗）')
  await offlineStatus(page, '就业协议审核中，等待学院审核')
  await staffReviewsOffline(browser, department, 'department', 'agreement', 'approve')
  await staffReviewsOffline(browser, 'school_admin', 'school', 'agreement', 'approve')
  row = await offlineStatus(page, '等待上传盖章协议')

  const { name, bytes } = await downloadBytes(page, row.locator('[data-test=offline-pdf]'))
  check(bytes.subarray(0, 5).toString('latin1') === '%PDF-', 'the graduate downloads the offline agreement as a PDF', name)
  writeFileSync(path.join(artifacts, 'offline-agreement.pdf'), bytes)

  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: WAIT_MS }), row.locator('[data-test=offline-upload]').click()])
  await chooser.setFiles({ name: '盖章协议.png', mimeType: 'image/png', buffer: STAMPED_SCAN_PNG })
  await offlineStatus(page, '签约审核中，等待学院')
  await staffReviewsOffline(browser, department, 'department', 'signing', 'approve')
  await staffReviewsOffline(browser, 'school_admin', 'school', 'signing', 'approve')
  row = await offlineStatus(page, '签约完成')

  await row.locator('[data-test=offline-history]').click()
  const history = page.locator('[data-test=offline-history-dialog]')
  await history.locator('.el-timeline-item').first().waitFor({ timeout: WAIT_MS })
  const entries = await history.locator('.el-timeline-item').count()
  check(entries >= 6, 'the history lists the return, the approvals and the upload', String(entries))
  check((await history.innerText()).includes(RETURN_REASON), 'the history keeps the reason of the return')
  await screenshot(page, 'graduate-offline-signed')
  await noHorizontalScroll(page, 'the graduate portal with an offline agreement')
  await context.close()
}

async function paperStatus(page, expected) {
  await page.reload()
  const row = page.locator('[data-test=paper-registrations] tbody tr').first()
  await row.waitFor({ timeout: WAIT_MS })
  const text = (await row.locator('[data-test=paper-status]').innerText()).trim()
  check(text.includes(expected), `the paper graduate sees ${expected}`, text)
  return row
}

// A staff user approves the paper registration of the paper graduate in 补登管理, whose default
// filter lists the registrations waiting for review.
async function staffApprovesPaper(browser, username, stageName) {
  const { context, page } = await newPage(browser)
  await login(page, 'staff', username, password)
  await enterEmploymentModule(page)
  await openMenu(page, '补登管理')
  await page.waitForURL(/\/employment\/paper-registrations$/, { timeout: WAIT_MS })
  const row = page.locator('[data-test=paper-table] tbody tr', { hasText: args['second-name'] })
  await row.waitFor({ timeout: WAIT_MS })
  await row.locator('[data-test=review]').click()
  const dialog = page.locator('[data-test=paper-dialog]')
  await dialog.locator('[data-test=paper-status]').waitFor({ timeout: WAIT_MS })
  await reviewDialogSettled(dialog)
  await screenshot(page, `staff-paper-review-${stageName}`)
  await dialog.locator('[data-test=paper-approve]').click()
  await page.locator('.el-message--success', { hasText: '已审核通过' }).waitFor({ timeout: WAIT_MS })
  check(true, `the ${stageName} user approves the paper registration in 补登管理`)
  await context.close()
}

// A graduate whose invitation was withdrawn registers a signed paper agreement: saves the data,
// is stopped from submitting without a scan, uploads the scan, submits, withdraws, submits again,
// and both stages approve.
async function paperFlow(browser) {
  const { context, page } = await newPage(browser)
  await login(page, 'graduate', args['paper-graduate-username'], password)
  await page.waitForURL(/\/graduate$/, { timeout: WAIT_MS })
  await page.locator('[data-test=paper-new]').click()
  const dialog = page.locator('[data-test=paper-form-dialog]')
  await dialog.waitFor({ timeout: WAIT_MS })
  await field(page, 'paper-employer-name').fill('京南示范物流有限公司')
  await field(page, 'paper-credit-code').fill(args['paper-credit-code'])
  for (const select of ['paper-nature', 'paper-industry', 'paper-job-category', 'paper-location']) {
    await chooseFirstOption(page, select)
  }
  await field(page, 'paper-position').fill('物流调度员')
  await field(page, 'paper-contact-name').fill('孙涛')
  await field(page, 'paper-contact-phone').fill('13900000003')
  await field(page, 'paper-signed-date').fill(todayInBeijing())
  await field(page, 'paper-signed-date').press('Enter')
  await page.locator('[data-test=paper-save]').click()
  await dialog.waitFor({ state: 'hidden', timeout: WAIT_MS })
  let row = await paperStatus(page, '草稿')
  check(await row.locator('[data-test=paper-submit]').isDisabled(), 'a draft without a scan cannot be submitted')

  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: WAIT_MS }), row.locator('[data-test=paper-upload]').click()])
  await chooser.setFiles({ name: '纸质协议.png', mimeType: 'image/png', buffer: STAMPED_SCAN_PNG })
  await page.waitForFunction(
    () => document.querySelector('[data-test=paper-registrations] tbody tr')?.innerText.includes('纸质协议.png'),
    null,
    { timeout: WAIT_MS },
  )
  row = page.locator('[data-test=paper-registrations] tbody tr').first()
  await row.locator('[data-test=paper-submit]').click()
  row = await paperStatus(page, '等待学院审核')
  await row.locator('[data-test=paper-withdraw]').click()
  await confirmMessageBox(page, '撤回')
  row = await paperStatus(page, '已撤回')
  await row.locator('[data-test=paper-submit]').click()
  await paperStatus(page, '等待学院审核')
  await screenshot(page, 'graduate-paper-submitted')

  await staffApprovesPaper(browser, args['paper-department-username'], 'department')
  await paperStatus(page, '等待学校审核')
  await staffApprovesPaper(browser, 'school_admin', 'school')
  await paperStatus(page, '登记完成')
  await screenshot(page, 'graduate-paper-registered')
  await context.close()
}

async function statisticsMoved(page, before) {
  await openMenu(page, '数据统计')
  const deadline = Date.now() + STATISTICS_WAIT_MS
  let after = before
  while (Date.now() < deadline) {
    await page.reload()
    after = await signedCount(page)
    if (after > before) break
    await page.waitForTimeout(1000)
  }
  check(after === before + 1, '数据统计 counts the new signing in 签约人数', `${before} -> ${after}`)
  await screenshot(page, 'staff-statistics')
}

async function employerSigned(page) {
  await page.reload()
  await page.locator('.el-tabs__item', { hasText: '已签约' }).click()
  const row = page.locator('[data-test=employer-signed] tbody tr', { hasText: graduateName })
  await row.waitFor({ timeout: WAIT_MS })
  check((await row.innerText()).includes('签约完成'), 'the employer lists the agreement under 已签约')
  await page.locator('.el-tabs__item', { hasText: '签约邀请' }).first().click()
  const invitation = page.locator('[data-test=employer-invitations] tbody tr', { hasText: graduateName }).first()
  await invitation.locator('[data-test=invitation-history]').click()
  const dialog = page.locator('[data-test=invitation-history-dialog]')
  await dialog.locator('.el-timeline-item', { hasText: /学校 · (审核|鉴证)通过/ }).waitFor({ timeout: WAIT_MS })
  check(true, 'the employer sees the school approval in the invitation history')
  await dialog.locator('.el-dialog__headerbtn').click()
  await dialog.waitFor({ state: 'hidden', timeout: WAIT_MS })
  await page.locator('.el-tabs__item', { hasText: '已签约' }).click()
  const { name, bytes } = await downloadBytes(page, row.locator('[data-test=agreement-pdf]'))
  check(bytes.subarray(0, 5).toString('latin1') === '%PDF-', 'the employer downloads the agreement as a PDF', name)
  await screenshot(page, 'employer-signed')
}

const browser = await chromium.launch({
  executablePath: process.env.QUXIANG_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // The sandbox needs user namespaces, which containers and root often lack.
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
})
let status = 0
const pages = () => browser.contexts().flatMap((context) => context.pages())
try {
  const school = await schoolSettings(browser)
  const employer = await employerFlow(browser)
  await directedGraduateFlow(browser)
  const graduate = await graduateAccepts(browser)

  await staffApproves(browser, args['department-username'], 'department', '学生已同意签约，等待学院审核')
  await graduateStatus(graduate.page, '学生已同意签约，等待学校审核')
  await staffApproves(browser, 'school_admin', 'school', '学生已同意签约，等待学校审核')
  await graduateStatus(graduate.page, '签约完成')
  await graduateSeesHistory(graduate.page)
  await screenshot(graduate.page, 'graduate-signed')
  await graduateDownloadsOnlinePdf(graduate.page)

  await employerSigned(employer.page)
  await statisticsMoved(school.page, school.before)
  await offlineFlow(browser)
  await paperFlow(browser)
  console.log('all signing checks passed')
} catch (error) {
  console.log(`signing e2e failed: ${error.stack || error}`)
  for (const [index, page] of pages().entries()) {
    await screenshot(page, `failure-${index}`).catch(() => {})
    console.log(`failure-${index}.png shows ${page.url()}`)
  }
  status = 1
} finally {
  await browser.close()
}
process.exit(status)
