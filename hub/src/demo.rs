//! Demo data: a few staff and a few dozen fictional cases across kinds, areas and states, with
//! their timelines, so that a fresh portal is not empty.
//!
//! Every person, address and contact here is invented; emails use reserved example domains.
//! Seeding is idempotent, also when two processes seed at once: staff are keyed by login and
//! cases by their `source_ref` (`demo:NN`), so a second run or a racing process adds nothing.
//! Cases are dated in autumn 2026, inside the demo profile's calendar.

use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};

use crate::clock::ManualClock;
use crate::domain::progress::TransitionRequest;
use crate::domain::{
    Actor, CaseKind, ComplaintRound, ContactKind, ContactPoint, DenouncerIdentity, Language,
    NewCase, NewStaff, QuietHours, Role, SourceChannel, Staff, Status,
};
use crate::error::Error;
use crate::hub::Hub;

/// What a seeding run added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub staff_added: usize,
    pub cases_added: usize,
}

struct DemoStaff {
    login: &'static str,
    name: &'static str,
    roles: &'static [Role],
    unit: &'static str,
    lead: Option<&'static str>,
}

const STAFF: &[DemoStaff] = &[
    DemoStaff {
        login: "hung.tran",
        name: "Trần Quốc Hùng",
        roles: &[Role::Lead],
        unit: "thuong-truc",
        lead: None,
    },
    DemoStaff {
        login: "lan.nguyen",
        name: "Nguyễn Thị Lan",
        roles: &[Role::Secretary, Role::Intake],
        unit: "van-phong",
        lead: Some("hung.tran"),
    },
    DemoStaff {
        login: "minh.le",
        name: "Lê Văn Minh",
        roles: &[Role::Specialist],
        unit: "van-phong",
        lead: Some("hung.tran"),
    },
    DemoStaff {
        login: "thao.pham",
        name: "Phạm Thu Thảo",
        roles: &[Role::Specialist, Role::DenunciationOfficer],
        unit: "van-phong",
        lead: Some("hung.tran"),
    },
    DemoStaff {
        login: "binh.vu",
        name: "Vũ Đức Bình",
        roles: &[Role::Deputy],
        unit: "to-dai-bieu-1",
        lead: None,
    },
];

/// One step of a demo case, `days` after it was received.
#[derive(Clone, Copy)]
enum Step {
    Accept,
    Forward(&'static str),
    Assign(&'static str),
    UnitAccepted,
    Answer(&'static str),
    Explain(&'static str),
    Reject(&'static str),
    Ask(&'static str),
    InfoArrived,
    Withdraw,
    Extend(&'static str),
}

use Step::*;

struct DemoCase {
    /// Month, day and hour (council time) of receipt, in 2026.
    received: (u32, u32, u32),
    kind: CaseKind,
    area: &'static str,
    category: &'static str,
    channel: SourceChannel,
    citizen: &'static str,
    contact: Option<&'static str>,
    title: &'static str,
    content: &'static str,
    steps: &'static [(i64, Step)],
    /// The redacted public title and excerpt, for cases staff published.
    public: Option<(&'static str, &'static str)>,
}

use CaseKind::{KhieuNai, KienNghi, KienNghiCuTri, PhanAnh, YKien};
use SourceChannel::{Email, InPerson, Telegram, VoterMeeting, Web};

const CASES: &[DemoCase] = &[
    DemoCase {
        received: (9, 8, 9),
        kind: PhanAnh,
        area: "hoang-van-thu",
        category: "giao-thong",
        channel: Telegram,
        citizen: "Nguyễn Văn An",
        contact: Some("an.nguyen@example.com"),
        title: "Đèn chiếu sáng ngõ 12 Hoàng Văn Thụ bị hỏng",
        content: "Đèn chiếu sáng trong ngõ 12 bị hỏng hơn hai tuần, buổi tối rất tối, người già và trẻ em đi lại nguy hiểm. Đề nghị sửa chữa sớm.",
        steps: &[
            (1, Forward("phong-kinh-te")),
            (3, UnitAccepted),
            (
                9,
                Answer(
                    "Phòng Kinh tế, Hạ tầng và Đô thị đã thay bóng và sửa đường dây ngày 17/9/2026. Hệ thống chiếu sáng ngõ 12 đã hoạt động bình thường.",
                ),
            ),
        ],
        public: Some((
            "Sửa đèn chiếu sáng ngõ 12 khu vực Hoàng Văn Thụ",
            "Cử tri phản ánh đèn chiếu sáng trong ngõ 12 hỏng kéo dài, gây mất an toàn khi đi lại buổi tối.",
        )),
    },
    DemoCase {
        received: (9, 9, 14),
        kind: KienNghi,
        area: "minh-khai",
        category: "moi-truong",
        channel: Web,
        citizen: "Trần Thị Bình",
        contact: Some("binh.tran@example.org"),
        title: "Rác thải tập kết sai giờ tại đầu phố Minh Khai",
        content: "Điểm tập kết rác đầu phố thường xuyên có rác từ sáng đến tối, bốc mùi, ảnh hưởng các hộ kinh doanh. Kiến nghị bố trí lại giờ thu gom.",
        steps: &[
            (2, Forward("ubnd-phuong")),
            (4, UnitAccepted),
            (
                16,
                Answer(
                    "UBND phường đã làm việc với đơn vị vệ sinh môi trường, điều chỉnh giờ thu gom vào 18h–20h hằng ngày và lắp biển nhắc giờ đổ rác.",
                ),
            ),
        ],
        public: Some((
            "Điều chỉnh giờ thu gom rác đầu phố Minh Khai",
            "Cử tri kiến nghị bố trí lại giờ thu gom rác tại điểm tập kết đầu phố để tránh ô nhiễm ban ngày.",
        )),
    },
    DemoCase {
        received: (9, 11, 10),
        kind: KienNghi,
        area: "phan-boi-chau",
        category: "giao-thong",
        channel: Email,
        citizen: "Lê Hoàng Cường",
        contact: Some("cuong.le@example.net"),
        title: "Vỉa hè phố Phan Bội Châu bị lấn chiếm để kinh doanh",
        content: "Nhiều hộ bày hàng hóa kín vỉa hè, người đi bộ phải đi xuống lòng đường. Kiến nghị phường kiểm tra, xử lý.",
        steps: &[
            (1, Accept),
            (2, Assign("minh.le")),
            (
                12,
                Answer(
                    "Tổ công tác trật tự đô thị phường đã ra quân ba đợt, lập biên bản 7 trường hợp và yêu cầu cam kết giữ vỉa hè thông thoáng.",
                ),
            ),
        ],
        public: Some((
            "Xử lý lấn chiếm vỉa hè phố Phan Bội Châu",
            "Cử tri kiến nghị xử lý tình trạng bày bán hàng hóa lấn chiếm vỉa hè, gây khó khăn cho người đi bộ.",
        )),
    },
    DemoCase {
        received: (9, 14, 8),
        kind: YKien,
        area: "quang-trung",
        category: "an-sinh",
        channel: InPerson,
        citizen: "Phạm Thu Dung",
        contact: None,
        title: "Góp ý về thủ tục hưởng trợ cấp cho người cao tuổi",
        content: "Thủ tục đề nghị hưởng trợ cấp cho người từ đủ 75 tuổi còn phải nộp nhiều giấy tờ trùng lặp. Đề nghị đơn giản hóa.",
        steps: &[
            (3, Forward("phong-van-hoa")),
            (5, UnitAccepted),
            (
                20,
                Explain(
                    "Phòng Văn hóa - Xã hội giải trình: hồ sơ theo quy định hiện hành gồm tờ khai và bản sao giấy tờ tùy thân; từ tháng 10/2026 phường tiếp nhận trực tuyến và không yêu cầu nộp lại giấy tờ đã có trong cơ sở dữ liệu dân cư.",
                ),
            ),
        ],
        public: Some((
            "Đơn giản hóa thủ tục trợ cấp người cao tuổi",
            "Cử tri góp ý thủ tục đề nghị hưởng trợ cấp cho người cao tuổi còn yêu cầu nhiều giấy tờ trùng lặp.",
        )),
    },
    DemoCase {
        received: (9, 16, 15),
        kind: PhanAnh,
        area: "ha-ly",
        category: "moi-truong",
        channel: Telegram,
        citizen: "Hoàng Minh Đức",
        contact: Some("duc.hoang@example.com"),
        title: "Ngập úng sau mưa tại khu vực Hạ Lý",
        content: "Mỗi trận mưa lớn, đoạn đường trước chợ Hạ Lý ngập sâu khoảng 30 cm trong nhiều giờ. Đề nghị nạo vét cống thoát nước.",
        steps: &[
            (1, Forward("phong-kinh-te")),
            (2, UnitAccepted),
            (
                25,
                Answer(
                    "Đã nạo vét 180 m cống thoát nước và thay hai nắp ga hỏng. Qua các trận mưa cuối tháng 10/2026, khu vực không còn ngập kéo dài.",
                ),
            ),
        ],
        public: Some((
            "Chống ngập trước chợ Hạ Lý",
            "Cử tri phản ánh đoạn đường trước chợ ngập sâu sau mưa lớn, đề nghị nạo vét hệ thống thoát nước.",
        )),
    },
    DemoCase {
        received: (9, 18, 9),
        kind: KienNghiCuTri,
        area: "hoang-van-thu",
        category: "giao-thong",
        channel: VoterMeeting,
        citizen: "Tổ dân phố số 3",
        contact: None,
        title: "Lắp đèn tín hiệu giao thông tại ngã ba gần trường tiểu học",
        content: "Cử tri tổ dân phố số 3 kiến nghị lắp đèn tín hiệu và vạch kẻ đường tại ngã ba trước cổng trường tiểu học vì giờ tan học rất đông.",
        steps: &[
            (5, Forward("phong-kinh-te")),
            (10, UnitAccepted),
            (
                40,
                Answer(
                    "Đã lắp đặt đèn tín hiệu và sơn vạch đi bộ trước cổng trường; đưa vào hoạt động từ ngày 2/11/2026.",
                ),
            ),
        ],
        public: Some((
            "Đèn tín hiệu trước cổng trường tiểu học",
            "Kiến nghị cử tri tại buổi tiếp xúc cử tri về việc lắp đèn tín hiệu giao thông tại ngã ba trước cổng trường.",
        )),
    },
    DemoCase {
        received: (9, 18, 10),
        kind: KienNghiCuTri,
        area: "minh-khai",
        category: "hanh-chinh",
        channel: VoterMeeting,
        citizen: "Tổ dân phố số 5",
        contact: None,
        title: "Rút ngắn thời gian cấp giấy chứng nhận quyền sử dụng đất",
        content: "Cử tri phản ánh hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu kéo dài quá thời hạn quy định.",
        steps: &[
            (5, Forward("ubnd-phuong")),
            (9, UnitAccepted),
            (
                45,
                Explain(
                    "UBND phường giải trình: một số hồ sơ phải chờ kết quả đo đạc lại; phường đã bổ sung cán bộ địa chính và công khai tiến độ từng hồ sơ tại bộ phận một cửa.",
                ),
            ),
        ],
        public: Some((
            "Thời gian cấp giấy chứng nhận quyền sử dụng đất",
            "Kiến nghị cử tri về việc hồ sơ cấp giấy chứng nhận quyền sử dụng đất lần đầu kéo dài.",
        )),
    },
    DemoCase {
        received: (9, 18, 11),
        kind: KienNghiCuTri,
        area: "quang-trung",
        category: "moi-truong",
        channel: VoterMeeting,
        citizen: "Tổ dân phố số 8",
        contact: None,
        title: "Cải tạo sân chơi cho trẻ em trong khu dân cư",
        content: "Sân chơi chung của khu dân cư xuống cấp, thiết bị gỉ sét. Cử tri kiến nghị cải tạo.",
        steps: &[(5, Forward("ubnd-phuong")), (12, UnitAccepted)],
        public: Some((
            "Cải tạo sân chơi trẻ em khu dân cư Quang Trung",
            "Kiến nghị cử tri về việc cải tạo sân chơi chung cho trẻ em đã xuống cấp.",
        )),
    },
    DemoCase {
        received: (9, 22, 9),
        kind: KhieuNai,
        area: "phan-boi-chau",
        category: "dat-dai",
        channel: InPerson,
        citizen: "Đặng Quốc Hùng",
        contact: Some("hung.dang@example.org"),
        title: "Khiếu nại quyết định xử phạt vi phạm hành chính về xây dựng",
        content: "Tôi khiếu nại quyết định xử phạt vì cho rằng công trình sửa chữa nhà của gia đình không thuộc trường hợp phải xin giấy phép.",
        steps: &[
            (3, Accept),
            (4, Assign("minh.le")),
            (
                29,
                Explain(
                    "Sau đối thoại ngày 15/10/2026, cơ quan có thẩm quyền giữ nguyên quyết định xử phạt và giải thích căn cứ pháp lý; người khiếu nại được hướng dẫn quyền khiếu nại lần hai hoặc khởi kiện.",
                ),
            ),
        ],
        public: None,
    },
    DemoCase {
        received: (9, 25, 16),
        kind: PhanAnh,
        area: "minh-khai",
        category: "moi-truong",
        channel: Web,
        citizen: "Vũ Thị Hà",
        contact: Some("ha.vu@example.com"),
        title: "Tiếng ồn từ quán karaoke sau 22 giờ",
        content: "Quán karaoke trong ngõ hoạt động đến khuya, gây ồn ảnh hưởng giấc ngủ người dân. Đề nghị kiểm tra.",
        steps: &[
            (1, Forward("cong-an-phuong")),
            (2, UnitAccepted),
            (
                10,
                Answer(
                    "Công an phường đã kiểm tra, lập biên bản và yêu cầu cơ sở chấm dứt hoạt động sau 22 giờ; sẽ tiếp tục kiểm tra đột xuất.",
                ),
            ),
        ],
        public: Some((
            "Tiếng ồn karaoke ban đêm tại khu vực Minh Khai",
            "Cử tri phản ánh quán karaoke hoạt động sau 22 giờ gây ồn ảnh hưởng sinh hoạt của người dân.",
        )),
    },
    DemoCase {
        received: (9, 29, 10),
        kind: KienNghi,
        area: "ha-ly",
        category: "an-sinh",
        channel: Email,
        citizen: "Bùi Thị Lan",
        contact: Some("lan.bui@example.net"),
        title: "Hỗ trợ học phí cho con hộ cận nghèo",
        content: "Gia đình tôi thuộc hộ cận nghèo, đề nghị hướng dẫn thủ tục hỗ trợ học phí cho con học trung học cơ sở.",
        steps: &[
            (2, Forward("phong-van-hoa")),
            (4, UnitAccepted),
            (
                11,
                Answer(
                    "Phòng Văn hóa - Xã hội đã hướng dẫn gia đình nộp hồ sơ; khoản hỗ trợ học phí học kỳ I được chi trả ngày 20/10/2026.",
                ),
            ),
        ],
        public: None,
    },
    DemoCase {
        received: (10, 1, 9),
        kind: PhanAnh,
        area: "quang-trung",
        category: "giao-thong",
        channel: Telegram,
        citizen: "Đỗ Văn Long",
        contact: Some("long.do@example.com"),
        title: "Cây xanh nghiêng có nguy cơ đổ trên phố Quang Trung",
        content: "Cây xà cừ trước số nhà 45 nghiêng ra lòng đường, rễ bật lên vỉa hè, mùa mưa bão có nguy cơ đổ.",
        steps: &[
            (1, Forward("phong-kinh-te")),
            (1, UnitAccepted),
            (
                4,
                Answer(
                    "Đơn vị quản lý cây xanh đã cắt tỉa tán và chằng chống cây ngày 5/10/2026; sẽ đánh giá để thay thế vào mùa trồng cây.",
                ),
            ),
        ],
        public: Some((
            "Cây xanh nghiêng trên phố Quang Trung",
            "Cử tri phản ánh cây xanh nghiêng ra lòng đường, có nguy cơ đổ trong mùa mưa bão.",
        )),
    },
    DemoCase {
        received: (10, 5, 14),
        kind: YKien,
        area: "hoang-van-thu",
        category: "hanh-chinh",
        channel: Web,
        citizen: "Ngô Thị Mai",
        contact: Some("mai.ngo@example.org"),
        title: "Đề nghị mở thêm giờ tiếp nhận hồ sơ vào sáng thứ Bảy",
        content: "Người đi làm hành chính khó đến bộ phận một cửa trong giờ hành chính. Đề nghị tiếp nhận hồ sơ sáng thứ Bảy.",
        steps: &[
            (2, Accept),
            (3, Assign("minh.le")),
            (
                15,
                Explain(
                    "Từ ngày 1/11/2026 bộ phận một cửa của phường tiếp nhận hồ sơ sáng thứ Bảy hằng tuần; người dân cũng có thể nộp hồ sơ trực tuyến.",
                ),
            ),
        ],
        public: Some((
            "Tiếp nhận hồ sơ hành chính vào sáng thứ Bảy",
            "Cử tri đề nghị mở thêm giờ tiếp nhận hồ sơ để thuận tiện cho người đi làm.",
        )),
    },
    DemoCase {
        received: (10, 7, 8),
        kind: KienNghi,
        area: "phan-boi-chau",
        category: "moi-truong",
        channel: Web,
        citizen: "Dương Văn Nam",
        contact: Some("nam.duong@example.net"),
        title: "Xưởng cơ khí gây bụi và tiếng ồn trong khu dân cư",
        content: "Xưởng gia công cơ khí trong ngõ hoạt động cả ngày, gây bụi sắt và tiếng ồn lớn. Kiến nghị kiểm tra giấy phép và di dời.",
        steps: &[(2, Forward("ubnd-phuong")), (6, UnitAccepted)],
        public: Some((
            "Xưởng cơ khí gây ô nhiễm trong khu dân cư",
            "Cử tri kiến nghị kiểm tra hoạt động của một xưởng cơ khí gây bụi và tiếng ồn trong khu dân cư.",
        )),
    },
    DemoCase {
        received: (10, 9, 11),
        kind: PhanAnh,
        area: "ha-ly",
        category: "moi-truong",
        channel: Telegram,
        citizen: "Lý Thị Oanh",
        contact: Some("oanh.ly@example.com"),
        title: "Chó thả rông không rọ mõm tại khu tập thể",
        content: "Nhiều chó thả rông không rọ mõm trong khu tập thể, trẻ em rất sợ. Đề nghị nhắc nhở, xử lý.",
        steps: &[
            (1, Forward("ubnd-phuong")),
            (3, UnitAccepted),
            (
                13,
                Answer(
                    "Phường đã tuyên truyền trên loa và nhóm tổ dân phố, lập biên bản nhắc nhở 5 hộ; tổ tuần tra sẽ kiểm tra định kỳ.",
                ),
            ),
        ],
        public: Some((
            "Chó thả rông tại khu tập thể Hạ Lý",
            "Cử tri phản ánh tình trạng chó thả rông không rọ mõm tại khu tập thể, gây mất an toàn.",
        )),
    },
    DemoCase {
        received: (10, 13, 9),
        kind: KienNghi,
        area: "minh-khai",
        category: "an-sinh",
        channel: InPerson,
        citizen: "Phan Văn Quý",
        contact: None,
        title: "Cấp thẻ bảo hiểm y tế cho người khuyết tật",
        content: "Tôi là người khuyết tật nặng, đề nghị hướng dẫn cấp thẻ bảo hiểm y tế miễn phí theo chế độ.",
        steps: &[
            (1, Accept),
            (2, Assign("thao.pham")),
            (
                8,
                Answer("Đã hoàn thiện hồ sơ và cấp thẻ bảo hiểm y tế cho cử tri ngày 21/10/2026."),
            ),
        ],
        public: None,
    },
    DemoCase {
        received: (10, 15, 15),
        kind: PhanAnh,
        area: "quang-trung",
        category: "giao-thong",
        channel: Web,
        citizen: "Trương Thị Rạng",
        contact: Some("rang.truong@example.org"),
        title: "Hố ga mất nắp trên vỉa hè",
        content: "Hố ga trên vỉa hè trước số 102 bị mất nắp, rất nguy hiểm cho người đi bộ vào buổi tối.",
        steps: &[
            (0, Forward("phong-kinh-te")),
            (1, UnitAccepted),
            (2, Answer("Đã lắp nắp hố ga mới ngày 17/10/2026.")),
        ],
        public: Some((
            "Hố ga mất nắp trên vỉa hè phố Quang Trung",
            "Cử tri phản ánh hố ga mất nắp trên vỉa hè, gây nguy hiểm cho người đi bộ.",
        )),
    },
    DemoCase {
        received: (10, 19, 10),
        kind: KhieuNai,
        area: "hoang-van-thu",
        category: "dat-dai",
        channel: Email,
        citizen: "Cao Văn Sơn",
        contact: Some("son.cao@example.net"),
        title: "Khiếu nại về mức bồi thường khi thu hồi đất mở rộng ngõ",
        content: "Gia đình tôi không đồng ý với mức bồi thường phần đất bị thu hồi để mở rộng ngõ vì thấp hơn giá thị trường.",
        steps: &[(4, Accept), (5, Assign("minh.le"))],
        public: None,
    },
    DemoCase {
        received: (10, 21, 9),
        kind: YKien,
        area: "ha-ly",
        category: "hanh-chinh",
        channel: Telegram,
        citizen: "Hồ Thị Tâm",
        contact: Some("tam.ho@example.com"),
        title: "Góp ý về việc niêm yết thủ tục hành chính",
        content: "Bảng niêm yết thủ tục tại bộ phận một cửa chữ nhỏ, khó đọc. Đề nghị có mã QR để tra cứu trên điện thoại.",
        steps: &[
            (2, Accept),
            (3, Assign("minh.le")),
            (
                9,
                Answer(
                    "Phường đã in lại bảng niêm yết cỡ chữ lớn và bổ sung mã QR dẫn đến danh mục thủ tục trực tuyến.",
                ),
            ),
        ],
        public: Some((
            "Niêm yết thủ tục hành chính dễ đọc hơn",
            "Cử tri góp ý bảng niêm yết thủ tục khó đọc, đề nghị bổ sung mã QR.",
        )),
    },
    DemoCase {
        received: (10, 26, 14),
        kind: KienNghi,
        area: "phan-boi-chau",
        category: "giao-thong",
        channel: Web,
        citizen: "Mạc Văn Uy",
        contact: Some("uy.mac@example.org"),
        title: "Đề nghị bố trí điểm trông giữ xe cho khách đến chợ",
        content: "Khách đến chợ để xe tràn xuống lòng đường gây ùn tắc. Đề nghị bố trí điểm trông giữ xe.",
        steps: &[(2, Forward("ubnd-phuong")), (5, UnitAccepted)],
        public: None,
    },
    DemoCase {
        received: (10, 28, 9),
        kind: PhanAnh,
        area: "minh-khai",
        category: "can-bo",
        channel: Email,
        citizen: "Lưu Thị Vân",
        contact: Some("van.luu@example.net"),
        title: "Thái độ tiếp công dân chưa đúng mực",
        content: "Ngày 27/10 tôi đến nộp hồ sơ, cán bộ tiếp nhận trả lời thiếu tôn trọng và không hướng dẫn rõ.",
        steps: &[
            (1, Accept),
            (2, Assign("thao.pham")),
            (
                3,
                Ask("Xin bà cho biết thời điểm và quầy tiếp nhận cụ thể để xác minh."),
            ),
        ],
        public: None,
    },
    DemoCase {
        received: (11, 2, 10),
        kind: KienNghi,
        area: "quang-trung",
        category: "moi-truong",
        channel: Telegram,
        citizen: "Kiều Văn Xuân",
        contact: Some("xuan.kieu@example.com"),
        title: "Đề nghị đặt thêm thùng rác công cộng ở công viên",
        content: "Công viên nhỏ trong khu dân cư chỉ có một thùng rác, cuối tuần rác vương vãi. Đề nghị đặt thêm.",
        steps: &[(1, Forward("ubnd-phuong"))],
        public: None,
    },
    DemoCase {
        received: (11, 4, 15),
        kind: YKien,
        area: "ha-ly",
        category: "an-sinh",
        channel: Web,
        citizen: "Tạ Thị Yến",
        contact: Some("yen.ta@example.org"),
        title: "Góp ý tổ chức lớp học bơi miễn phí cho trẻ em dịp hè",
        content: "Đề nghị phường phối hợp tổ chức lớp học bơi miễn phí cho trẻ em vào dịp hè để phòng chống đuối nước.",
        steps: &[(2, Accept), (3, Assign("thao.pham"))],
        public: None,
    },
    DemoCase {
        received: (11, 6, 9),
        kind: PhanAnh,
        area: "hoang-van-thu",
        category: "moi-truong",
        channel: Telegram,
        citizen: "Nguyễn Thị Ánh",
        contact: Some("anh.nguyen@example.net"),
        title: "Nước thải tràn ra ngõ từ nhà hàng",
        content: "Nhà hàng đầu ngõ xả nước thải ra ngõ, bốc mùi hôi. Đề nghị kiểm tra.",
        steps: &[
            (0, Ask("Xin cho biết số nhà hoặc tên nhà hàng để kiểm tra.")),
            (2, InfoArrived),
            (3, Forward("ubnd-phuong")),
        ],
        public: None,
    },
    DemoCase {
        received: (11, 9, 10),
        kind: KienNghi,
        area: "minh-khai",
        category: "hanh-chinh",
        channel: Email,
        citizen: "Đinh Văn Bảo",
        contact: Some("bao.dinh@example.com"),
        title: "Đề nghị hướng dẫn đăng ký hộ kinh doanh trực tuyến",
        content: "Tôi muốn đăng ký hộ kinh doanh nhưng không rõ các bước nộp hồ sơ trực tuyến.",
        steps: &[(
            1,
            Reject(
                "Nội dung là yêu cầu hướng dẫn thủ tục, không phải kiến nghị; đã chuyển bộ phận một cửa hướng dẫn trực tiếp qua thư điện tử.",
            ),
        )],
        public: None,
    },
    DemoCase {
        received: (11, 12, 14),
        kind: PhanAnh,
        area: "phan-boi-chau",
        category: "giao-thong",
        channel: Web,
        citizen: "Lâm Thị Cúc",
        contact: Some("cuc.lam@example.org"),
        title: "Biển báo cấm đỗ xe bị che khuất",
        content: "Biển cấm đỗ xe đầu phố bị cây che khuất, nhiều người không thấy.",
        steps: &[(1, Withdraw)],
        public: None,
    },
    DemoCase {
        received: (11, 16, 9),
        kind: KienNghi,
        area: "quang-trung",
        category: "dat-dai",
        channel: InPerson,
        citizen: "Mai Văn Danh",
        contact: None,
        title: "Đề nghị công khai quy hoạch khu đất trống cạnh trường học",
        content: "Khu đất trống cạnh trường học bị rào chắn lâu năm. Cử tri đề nghị công khai quy hoạch sử dụng.",
        steps: &[],
        public: None,
    },
    DemoCase {
        received: (11, 19, 10),
        kind: PhanAnh,
        area: "ha-ly",
        category: "giao-thong",
        channel: Telegram,
        citizen: "Trịnh Thị Én",
        contact: Some("en.trinh@example.net"),
        title: "Ổ gà lớn trên đường vào chợ",
        content: "Đường vào chợ có nhiều ổ gà lớn, trời mưa đọng nước, xe máy dễ ngã.",
        steps: &[],
        public: None,
    },
    DemoCase {
        received: (11, 20, 16),
        kind: YKien,
        area: "minh-khai",
        category: "an-sinh",
        channel: Web,
        citizen: "Quách Văn Phúc",
        contact: Some("phuc.quach@example.com"),
        title: "Góp ý giờ mở cửa nhà văn hóa tổ dân phố",
        content: "Đề nghị nhà văn hóa mở cửa buổi tối để người cao tuổi tập thể dục.",
        steps: &[],
        public: None,
    },
];

/// The demo denunciations: kept apart because their authors' identities are sealed.
struct DemoDenunciation {
    received: (u32, u32, u32),
    area: &'static str,
    title: &'static str,
    content: &'static str,
    name: &'static str,
    email: &'static str,
    steps: &'static [(i64, Step)],
}

const DENUNCIATIONS: &[DemoDenunciation] = &[
    DemoDenunciation {
        received: (10, 12, 9),
        area: "minh-khai",
        title: "Tố cáo việc thu tiền trái quy định khi cấp giấy xác nhận",
        content: "Một cán bộ yêu cầu nộp thêm tiền ngoài lệ phí khi cấp giấy xác nhận cư trú.",
        name: "Người tố cáo Số Một",
        email: "to-cao-1@example.net",
        steps: &[
            (5, Accept),
            (6, Assign("thao.pham")),
            (30, Extend("Cần xác minh tại hai địa điểm")),
        ],
    },
    DemoDenunciation {
        received: (11, 10, 10),
        area: "hoang-van-thu",
        title: "Tố cáo hành vi chiếm dụng đất công",
        content: "Một hộ dân xây tường rào lấn chiếm phần đất công cạnh mương thoát nước.",
        name: "Người tố cáo Số Hai",
        email: "to-cao-2@example.net",
        steps: &[],
    },
];

/// Adds whatever of the demo is missing.
pub async fn seed(hub: &Hub) -> Result<SeedReport, Error> {
    let mut report = SeedReport::default();
    let mut staff = Vec::new();
    for member in STAFF {
        let (account, added) = ensure_staff(hub, member, &staff).await?;
        report.staff_added += usize::from(added);
        staff.push(account);
    }
    let by_login = |login: &str| staff.iter().find(|s| s.login == login).map(|s| s.id);
    let secretary = by_login("lan.nguyen").ok_or(Error::NotFound("demo secretary"))?;
    let officer = by_login("thao.pham").ok_or(Error::NotFound("demo officer"))?;

    for (n, demo) in CASES.iter().enumerate() {
        let new = NewCase {
            kind: demo.kind,
            complaint_round: (demo.kind == CaseKind::KhieuNai).then_some(ComplaintRound::First),
            first_case: None,
            title: demo.title.to_owned(),
            content: demo.content.to_owned(),
            area: Some(demo.area.to_owned()),
            category: Some(demo.category.to_owned()),
            channel: demo.channel,
            citizen_name: Some(demo.citizen.to_owned()),
            contacts: demo
                .contact
                .map(|address| ContactPoint {
                    kind: ContactKind::Email,
                    address: address.to_owned(),
                })
                .into_iter()
                .collect(),
            attachments: vec![],
            publication_consent: demo.public.is_some() || n % 3 != 0,
            complex: false,
            remote_area: false,
            denouncer: None,
            language: Language::Vi,
            source_ref: Some(format!("demo:{:02}", n + 1)),
        };
        let added = add_case(
            hub,
            new,
            demo.received,
            demo.steps,
            secretary,
            demo.public,
            &by_login,
        )
        .await?;
        report.cases_added += usize::from(added);
    }
    for (n, demo) in DENUNCIATIONS.iter().enumerate() {
        let new = NewCase {
            kind: CaseKind::ToCao,
            complaint_round: None,
            first_case: None,
            title: demo.title.to_owned(),
            content: demo.content.to_owned(),
            area: Some(demo.area.to_owned()),
            category: Some("can-bo".to_owned()),
            channel: Email,
            citizen_name: None,
            contacts: vec![],
            attachments: vec![],
            publication_consent: false,
            complex: true,
            remote_area: false,
            denouncer: Some(DenouncerIdentity {
                full_name: demo.name.to_owned(),
                phone: None,
                email: Some(demo.email.to_owned()),
                address: None,
                chosen_contact: Some(ContactPoint {
                    kind: ContactKind::Email,
                    address: demo.email.to_owned(),
                }),
            }),
            language: Language::Vi,
            source_ref: Some(format!("demo:tc{:02}", n + 1)),
        };
        let added = add_case(
            hub,
            new,
            demo.received,
            demo.steps,
            officer,
            None,
            &by_login,
        )
        .await?;
        report.cases_added += usize::from(added);
    }
    tracing::info!(
        demo.staff_added = report.staff_added,
        demo.cases_added = report.cases_added,
        "demo data: {} staff and {} cases added",
        report.staff_added,
        report.cases_added
    );
    Ok(report)
}

async fn ensure_staff(
    hub: &Hub,
    member: &DemoStaff,
    known: &[Staff],
) -> Result<(Staff, bool), Error> {
    match hub.store().get_staff_by_login(member.login).await {
        Ok(staff) => return Ok((staff, false)),
        Err(Error::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    let new = NewStaff {
        login: member.login.to_owned(),
        display_name: member.name.to_owned(),
        roles: member.roles.to_vec(),
        unit: Some(member.unit.to_owned()),
        lead: member
            .lead
            .and_then(|l| known.iter().find(|s| s.login == l))
            .map(|s| s.id),
        time_zone: hub.profile().time_zone,
        language: Language::Vi,
        contacts: vec![ContactPoint {
            kind: ContactKind::Email,
            address: format!("{}@hongbang.example", member.login),
        }],
        quiet_hours: Some(QuietHours {
            start: chrono::NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default(),
            end: chrono::NaiveTime::from_hms_opt(6, 30, 0).unwrap_or_default(),
        }),
    };
    match hub.store().add_staff(new).await {
        Ok(staff) => Ok((staff, true)),
        // Another process added it meanwhile.
        Err(Error::Conflict(_)) => Ok((hub.store().get_staff_by_login(member.login).await?, false)),
        Err(e) => Err(e),
    }
}

/// Submits one demo case at its own date and replays its steps; `false` if it was there.
async fn add_case(
    hub: &Hub,
    new: NewCase,
    received: (u32, u32, u32),
    steps: &[(i64, Step)],
    actor: crate::domain::StaffId,
    public: Option<(&str, &str)>,
    by_login: &impl Fn(&str) -> Option<crate::domain::StaffId>,
) -> Result<bool, Error> {
    let source = new.source_ref.clone().unwrap_or_default();
    if hub.store().get_case_by_source_ref(&source).await.is_ok() {
        return Ok(false);
    }
    let (month, day, hour) = received;
    let date = NaiveDate::from_ymd_opt(2026, month, day).ok_or(Error::NotFound("demo date"))?;
    let at = hub
        .profile()
        .time_zone
        .from_local_datetime(
            &date
                .and_hms_opt(hour, 0, 0)
                .ok_or(Error::NotFound("demo hour"))?,
        )
        .single()
        .ok_or(Error::NotFound("demo instant"))?
        .with_timezone(&Utc);
    // The demo's own clock, so that receipt, steps and timeline carry their autumn dates.
    let clock = Arc::new(ManualClock::new(at));
    // No notifications: the demo's citizens and staff are invented, and so are their addresses.
    let dated = Hub::new(hub.store().with_clock(clock.clone()), hub.profile().clone());
    let id = match dated.submit_case(new).await {
        Ok(created) => created.case.id,
        Err(Error::Conflict(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    let me = Actor::Staff(actor);
    let mut last = 0;
    for (i, (days, step)) in steps.iter().enumerate() {
        clock.set(at + Duration::days(*days) + Duration::minutes(30 * (i as i64 + 1)));
        last = *days;
        let request = match *step {
            Extend(reason) => {
                dated.extend_deadline(id, actor, reason).await?;
                continue;
            }
            Accept => TransitionRequest::to(Status::Accepted, me),
            Forward(unit) => TransitionRequest::to(Status::Forwarded, me).with_unit(unit),
            Assign(login) => TransitionRequest::to(Status::InProgress, me)
                .with_assignee(by_login(login).ok_or(Error::NotFound("demo assignee"))?),
            UnitAccepted => TransitionRequest {
                unit_accepted: true,
                ..TransitionRequest::to(Status::InProgress, me)
            },
            Answer(text) => TransitionRequest::to(Status::Answered, me).with_text(text),
            Explain(text) => TransitionRequest::to(Status::Explained, me).with_text(text),
            Reject(reason) => TransitionRequest::to(Status::Rejected, me).with_text(reason),
            Ask(question) => TransitionRequest::to(Status::NeedsInfo, me).with_text(question),
            InfoArrived => TransitionRequest::to(Status::Received, Actor::Citizen),
            Withdraw => TransitionRequest::to(Status::Withdrawn, Actor::Citizen),
        };
        dated.transition(id, request).await?;
    }
    if let Some((title, summary)) = public {
        clock.set(at + Duration::days(last + 1));
        dated.publish_case(id, actor, title, summary).await?;
    }
    Ok(true)
}
